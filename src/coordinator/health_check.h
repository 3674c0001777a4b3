// One health check of one service, by its type: postgresql (connect, role,
// replication lag of the standby), s3 (bucket reachable, a write/read/delete
// probe), kafka (metadata, brokers up), http (status, body), tcp (connect),
// dns (the name resolves, to the expected address), command (exit 0).
// A check never throws and never hangs past its timeout: every outcome is a
// CheckResult. Thresholds (consecutive failures) are the monitor's business.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/config.h"
#include "coordinator/dns.h"
#include "net/s3/s3_client.h"

namespace dr::coordinator {

enum class Health { kHealthy, kDegraded, kFailed };
const char* HealthName(Health h);  // "healthy", "degraded", "failed"

struct CheckResult {
  Health status = Health::kFailed;
  double latency_ms = 0;
  std::string error;  // why it is not healthy
  nlohmann::json details = nlohmann::json::object();
};

struct CheckContext {
  net::s3::S3Options s3;  // endpoint and credentials for s3 services (bucket per service)
  // The lake's mirror (s3.mirror.target) with its own endpoint and region: a
  // service checking that bucket (the lake after a storage switch) goes there.
  std::optional<net::s3::S3Options> s3_mirror;
  std::string dns_server;     // default server for dns services
  // kafka.security and kafka.properties: for a service checking the platform's
  // brokers (kafka.bootstrap_servers or the backup region's), not another cluster.
  std::map<std::string, std::string> kafka_properties;
  std::vector<std::string> kafka_platform_servers;
};

CheckResult RunCheck(const config::CoordinatedService& service, const CheckContext& context);

// "16/B374D848" -> 0x16B374D848; nullopt-like -1 for anything else.
int64_t ParseLsn(const std::string& lsn);


}  // namespace dr::coordinator
