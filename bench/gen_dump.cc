// Generates the benchmark's inputs, deterministically from a seed:
//   gen_dump dump SIZE_MB OUT         a pg_dump-style text dump of an e-commerce database
//                                     (customers, orders with JSON attributes, click events)
//   gen_dump change IN OUT            the same dump after a clustered change: 1% new rows
//                                     appended to each table, 0.1% of rows updated in place
// The mix of names, amounts, timestamps, UUIDs and JSON compresses about 3-6:1 with zstd -3,
// like real dumps (pgbench's blank-padded rows compress 121:1 and flatter every tool).
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <random>
#include <string>
#include <vector>

namespace {

const char* kFirst[] = {"Anna", "Bjorn", "Chen", "Diego", "Emma", "Farah", "Goran", "Hana", "Ivan", "Jia", "Kofi",
                        "Lena", "Mateo", "Nora", "Omar", "Priya", "Quinn", "Rosa", "Sven", "Tariq", "Uma", "Viktor",
                        "Wei", "Ximena", "Yusuf", "Zoe", "Aiko", "Bruno", "Clara", "Dmitri"};
const char* kLast[] = {"Schmidt", "Nakamura", "Garcia", "Okafor", "Larsen", "Rossi", "Kowalski", "Silva", "Haddad",
                       "Muller", "Dubois", "Kim", "Novak", "Fischer", "Moreau", "Tanaka", "Ivanova", "Costa", "Berg",
                       "Ahmed", "Lopez", "Weber", "Singh", "Petrov", "Jensen", "Romano", "Yilmaz", "Chen"};
const char* kCities[] = {"Berlin", "Paris", "Tokyo", "Austin", "Lagos", "Lima", "Oslo", "Pune", "Madrid", "Seoul",
                         "Toronto", "Nairobi", "Krakow", "Lisbon", "Osaka", "Denver", "Milan", "Dublin"};
const char* kStatus[] = {"pending", "paid", "shipped", "delivered", "cancelled", "refunded"};
const char* kChannels[] = {"web", "ios", "android", "store", "partner"};
const char* kPages[] = {"/", "/search", "/product", "/cart", "/checkout", "/account", "/category/shoes",
                        "/category/books", "/category/garden", "/deals", "/help/returns"};
const char* kAgents[] = {"Mozilla/5.0 (X11; Linux x86_64) Firefox/132.0", "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1)",
                         "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/131.0", "okhttp/4.12.0"};

template <size_t N>
const char* Pick(std::mt19937_64& rng, const char* (&arr)[N]) {
  return arr[rng() % N];
}

std::string Ts(std::mt19937_64& rng) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "2026-%02d-%02d %02d:%02d:%02d.%06d+00", int(rng() % 11 + 1), int(rng() % 28 + 1),
                int(rng() % 24), int(rng() % 60), int(rng() % 60), int(rng() % 1000000));
  return buf;
}

std::string Uuid(std::mt19937_64& rng) {
  char buf[40];
  uint64_t a = rng(), b = rng();
  std::snprintf(buf, sizeof buf, "%08x-%04x-4%03x-a%03x-%012llx", unsigned(a >> 32), unsigned(a >> 16) & 0xffff,
                unsigned(a) & 0xfff, unsigned(b >> 52) & 0xfff, (unsigned long long)(b & 0xffffffffffffULL));
  return buf;
}

std::string Customer(std::mt19937_64& rng, uint64_t id) {
  const char* first = Pick(rng, kFirst);
  const char* last = Pick(rng, kLast);
  char buf[256];
  std::snprintf(buf, sizeof buf, "%llu\t%s\t%s\t%s.%s%llu@mail.example\t%s\t%s\n", (unsigned long long)id, first, last,
                first, last, (unsigned long long)(rng() % 1000), Pick(rng, kCities), Ts(rng).c_str());
  return buf;
}

std::string Order(std::mt19937_64& rng, uint64_t id) {
  char buf[512];
  std::snprintf(buf, sizeof buf,
                "%llu\t%llu\t%s\t%llu.%02llu\tEUR\t%s\t{\"channel\": \"%s\", \"items\": %llu, \"coupon\": %s, "
                "\"ship_to\": \"%s\"}\n",
                (unsigned long long)id, (unsigned long long)(rng() % 2000000), Pick(rng, kStatus),
                (unsigned long long)(rng() % 900 + 1), (unsigned long long)(rng() % 100), Ts(rng).c_str(),
                Pick(rng, kChannels), (unsigned long long)(rng() % 9 + 1), rng() % 5 ? "null" : "\"WINTER10\"",
                Pick(rng, kCities));
  return buf;
}

std::string Click(std::mt19937_64& rng, uint64_t id) {
  char buf[512];
  std::snprintf(buf, sizeof buf, "%llu\t%s\t%s\t%s?sku=%llu\t%s\t%s\n", (unsigned long long)id, Uuid(rng).c_str(),
                Ts(rng).c_str(), Pick(rng, kPages), (unsigned long long)(rng() % 500000), Pick(rng, kAgents),
                rng() % 3 ? "\\N" : Pick(rng, kCities));
  return buf;
}

using RowFn = std::string (*)(std::mt19937_64&, uint64_t);
struct Table {
  const char* header;
  RowFn row;
  double share;  // of the dump's bytes
};
const Table kTables[] = {
    {"COPY public.customers (id, first_name, last_name, email, city, created_at) FROM stdin;\n", Customer, 0.15},
    {"COPY public.orders (id, customer_id, status, amount, currency, created_at, attrs) FROM stdin;\n", Order, 0.45},
    {"COPY public.click_events (id, session_id, ts, url, user_agent, geo) FROM stdin;\n", Click, 0.40},
};

int Dump(uint64_t size_mb, const char* out_path) {
  std::ofstream out(out_path, std::ios::binary);
  std::mt19937_64 rng(20261126);
  out << "--\n-- PostgreSQL database dump\n--\n\n";
  for (const auto& t : kTables) {
    out << t.header;
    uint64_t budget = static_cast<uint64_t>(size_mb * (1 << 20) * t.share), written = 0, id = 1;
    while (written < budget) {
      std::string row = t.row(rng, id++);
      written += row.size();
      out << row;
    }
    out << "\\.\n\n";
  }
  return out ? 0 : 1;
}

// Updates 0.1% of rows in place, clustered (runs of 500 consecutive rows, as a
// batch job touching one day's orders would), and appends 1% new rows to each
// table before its "\.".
int Change(const char* in_path, const char* out_path) {
  std::ifstream in(in_path, std::ios::binary);
  std::ofstream out(out_path, std::ios::binary);
  std::mt19937_64 rng(7);
  std::string line;
  int table = -1;
  uint64_t rows = 0, next_id = 0, run_left = 0;
  constexpr uint64_t kRun = 500;
  std::vector<std::string> appended;
  while (std::getline(in, line)) {
    if (line.rfind("COPY ", 0) == 0) {
      ++table;
      rows = 0;
      out << line << '\n';
      continue;
    }
    if (line == "\\." && table >= 0) {
      uint64_t extra = rows / 100;
      for (uint64_t i = 0; i < extra; ++i) out << kTables[table].row(rng, next_id + i);
      out << line << '\n';
      continue;
    }
    if (table >= 0 && !line.empty() && line[0] >= '0' && line[0] <= '9') {
      ++rows;
      next_id = std::strtoull(line.c_str(), nullptr, 10) + 1;
      if (run_left == 0 && rng() % (1000 * kRun) == 0) run_left = kRun;
      if (run_left > 0) {
        --run_left;
        out << kTables[table].row(rng, next_id - 1);
        continue;
      }
    }
    out << line << '\n';
  }
  return out ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "dump" && argc == 4) return Dump(std::strtoull(argv[2], nullptr, 10), argv[3]);
  if (mode == "change" && argc == 4) return Change(argv[2], argv[3]);
  std::cerr << "usage: gen_dump dump SIZE_MB OUT | gen_dump change IN OUT\n";
  return 2;
}
