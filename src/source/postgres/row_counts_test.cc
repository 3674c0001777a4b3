#include "source/postgres/row_counts.h"

#include <gtest/gtest.h>

namespace dr::source {
namespace {

using nlohmann::json;

json Counts(json per_table) { return {{"rows_per_table", std::move(per_table)}}; }

TEST(RowCountsTest, EqualCountsMatchAndEachDifferenceIsNamed) {
  json backup = Counts({{"public.orders", 500}, {"public.customers", 20}});
  EXPECT_EQ(CompareRowCounts(backup, Counts({{"public.customers", 20}, {"public.orders", 500}})), "");
  EXPECT_EQ(CompareRowCounts(backup, Counts({{"public.orders", 499}, {"public.customers", 20}})),
            "1 table differs from the backup's counts: public.orders has 499 rows, the backup counted 500");
  EXPECT_EQ(CompareRowCounts(backup, Counts({{"public.orders", 500}, {"public.extra", 1}})),
            "2 tables differ from the backup's counts: public.customers is missing (the backup counted 20 rows); "
            "public.extra was not in the backup");
  EXPECT_EQ(CompareRowCounts(Counts(json::object()), Counts(json::object())), "");
}

}  // namespace
}  // namespace dr::source
