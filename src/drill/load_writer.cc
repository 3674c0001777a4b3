#include "drill/load_writer.h"

#include "net/postgres/pg_client.h"

namespace dr::drill {
namespace {

constexpr auto kPause = std::chrono::milliseconds(50);  // after a failed write or connection

class TableTarget final : public LoadTarget {
 public:
  explicit TableTarget(LoadWriterOptions options) : options_(std::move(options)) {}

  Result<std::string> Connect() override {
    conn_.reset();
    DR_ASSIGN_OR_RETURN(std::string address, options_.resolve());
    DR_ASSIGN_OR_RETURN(conn_, OpenDrillConnection(options_.conninfo, address));
    return address;
  }
  bool connected() const override { return conn_ != nullptr; }

  Status Write(int64_t seq) override {
    Status s = conn_->Exec("insert into " + std::string(kDrillTable) + " (drill_id, seq) values (" +
                           conn_->QuoteLiteral(options_.drill_id) + ", " + std::to_string(seq) + ")");
    // A promoted standby that never received the table (it was made after
    // replication stopped) gets it anew: the commits it lacks are then
    // counted as lost, not the load stopped. Any other failure: its server
    // may be gone or refuse writes for now; the next commit, after a
    // pause, resolves the name again.
    if (!s.ok() && !conn_->Exec(DrillTableDdl()).ok()) conn_.reset();
    return s;
  }

 private:
  const LoadWriterOptions options_;
  std::unique_ptr<net::pg::Connection> conn_;
};

}  // namespace

std::unique_ptr<LoadTarget> DrillTableTarget(LoadWriterOptions options) {
  return std::make_unique<TableTarget>(std::move(options));
}

std::string DrillTableDdl() {
  return "create table if not exists " + std::string(kDrillTable) +
         " (drill_id text not null, seq bigint not null, at timestamptz not null default clock_timestamp(), "
         "primary key (drill_id, seq))";
}

Result<std::string> DrillConninfo(const std::string& service_conninfo, const std::string& address) {
  DR_ASSIGN_OR_RETURN(auto settings, net::pg::ParseConninfo(service_conninfo));
  if (!address.empty()) {
    settings["host"] = address;
    settings.erase("hostaddr");
  }
  settings["connect_timeout"] = "2";
  settings["options"] = "-c statement_timeout=5000";
  // A server that stops answering (powered off, partitioned, stopped) rather
  // than closing the connection: libpq would wait for TCP to give up.
  settings["keepalives"] = "1";
  settings["keepalives_idle"] = "2";
  settings["keepalives_interval"] = "1";
  settings["keepalives_count"] = "3";
  settings["tcp_user_timeout"] = "5000";
  return net::pg::MakeConninfo(settings);
}

Result<std::unique_ptr<net::pg::Connection>> OpenDrillConnection(const std::string& service_conninfo,
                                                                 const std::string& address,
                                                                 const std::map<std::string, std::string>& changes) {
  DR_ASSIGN_OR_RETURN(std::string conninfo, DrillConninfo(service_conninfo, address));
  if (!changes.empty()) {
    DR_ASSIGN_OR_RETURN(auto settings, net::pg::ParseConninfo(conninfo));
    for (const auto& [key, value] : changes) settings[key] = value;
    conninfo = net::pg::MakeConninfo(settings);
  }
  return net::pg::Connection::OpenConninfo(conninfo, 2);
}

void LoadWriter::Start() {
  thread_ = std::jthread([this](std::stop_token stop) { Run(stop); });
}

void LoadWriter::Stop() {
  if (!thread_.joinable()) return;
  thread_.request_stop();
  thread_.join();
}

std::vector<Ack> LoadWriter::acks() const {
  std::lock_guard lock(mu_);
  return acks_;
}

size_t LoadWriter::ack_count() const {
  std::lock_guard lock(mu_);
  return acks_.size();
}

uint64_t LoadWriter::failures() const {
  std::lock_guard lock(mu_);
  return failures_;
}

std::optional<Ack> LoadWriter::FirstConnectedAfter(std::chrono::steady_clock::time_point t,
                                                   const std::string& where) const {
  std::lock_guard lock(mu_);
  for (const auto& a : acks_) {
    if (a.connected > t && (where.empty() || a.where == where)) return a;
  }
  return std::nullopt;
}

std::optional<Ack> LoadWriter::FirstAcknowledgedFrom(std::chrono::system_clock::time_point t) const {
  std::lock_guard lock(mu_);
  for (const auto& a : acks_) {
    if (a.at >= t) return a;
  }
  return std::nullopt;
}

Status LoadWriter::last_error() const {
  std::lock_guard lock(mu_);
  return last_error_;
}

void LoadWriter::Run(std::stop_token stop) {
  std::chrono::steady_clock::time_point connected;
  std::string where;
  int64_t seq = 0;
  const auto pace = target_->pace();
  std::chrono::steady_clock::time_point next{};
  while (!stop.stop_requested()) {
    if (!target_->connected()) {
      auto led = target_->Connect();
      if (!led.ok()) {
        Fail(led.status());
        clock_.SleepFor(kPause, stop);
        continue;
      }
      where = *led;
      connected = clock_.Monotonic();
    }
    if (pace > std::chrono::steady_clock::duration::zero()) {
      const auto now = clock_.Monotonic();
      if (next > now && !clock_.SleepFor(next - now, stop)) break;
      next = std::max(now, next) + pace;
    }
    ++seq;
    if (Status s = target_->Write(seq); !s.ok()) {
      Fail(s);
      clock_.SleepFor(kPause, stop);
      continue;
    }
    std::lock_guard lock(mu_);
    acks_.push_back({seq, clock_.Now(), connected, clock_.Monotonic(), where});
  }
}

void LoadWriter::Fail(Status why) {
  std::lock_guard lock(mu_);
  failures_++;
  last_error_ = std::move(why);
}

}  // namespace dr::drill
