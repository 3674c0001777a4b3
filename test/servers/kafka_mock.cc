// A Kafka-protocol cluster for the tests: librdkafka's mock cluster in its own
// process (the only Kafka broker installable here; TESTENV.md lists what it
// cannot do). Prints the bootstrap servers on its first line, then takes
// commands on standard input, one per line, answering "ok" or "error <why>":
//   create <topic> <partitions>     create a topic (the mock has no CreateTopics API)
//   down <broker id> / up <broker id>
// It exits at end of input or on SIGTERM.
//
// Usage: kafka_mock [-b brokers] [-t topic:partitions]...
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  int brokers = 3, opt;
  std::vector<std::string> topics;
  while ((opt = getopt(argc, argv, "b:t:")) != -1) {
    if (opt == 'b') {
      brokers = std::atoi(optarg);
    } else if (opt == 't') {
      topics.emplace_back(optarg);
    } else {
      std::cerr << "usage: kafka_mock [-b brokers] [-t topic:partitions]...\n";
      return 2;
    }
  }
  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "log_level", "3", err, sizeof err);
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (rk == nullptr) {
    std::cerr << "kafka_mock: " << err << "\n";
    return 1;
  }
  rd_kafka_mock_cluster_t* mc = rd_kafka_mock_cluster_new(rk, brokers);
  if (mc == nullptr) {
    std::cerr << "kafka_mock: cannot start the mock cluster\n";
    return 1;
  }
  auto create = [&](const std::string& name, int partitions) {
    return rd_kafka_mock_topic_create(mc, name.c_str(), partitions, brokers);
  };
  for (const auto& t : topics) {
    auto colon = t.find(':');
    int parts = colon == std::string::npos ? 1 : std::atoi(t.c_str() + colon + 1);
    if (auto e = create(t.substr(0, colon), parts)) std::cerr << "kafka_mock: topic " << t << ": " << rd_kafka_err2str(e) << "\n";
  }
  std::cout << rd_kafka_mock_cluster_bootstraps(mc) << std::endl;
  std::string line;
  while (std::getline(std::cin, line)) {
    std::istringstream in(line);
    std::string cmd, name;
    in >> cmd;
    rd_kafka_resp_err_t e = RD_KAFKA_RESP_ERR_NO_ERROR;
    if (cmd == "create") {
      int parts = 1;
      in >> name >> parts;
      e = create(name, parts);
    } else if (cmd == "down" || cmd == "up") {
      int id = 0;
      in >> id;
      e = cmd == "down" ? rd_kafka_mock_broker_set_down(mc, id) : rd_kafka_mock_broker_set_up(mc, id);
    } else {
      std::cout << "error unknown command '" << cmd << "'" << std::endl;
      continue;
    }
    if (e) {
      std::cout << "error " << rd_kafka_err2str(e) << std::endl;
    } else {
      std::cout << "ok" << std::endl;
    }
  }
  rd_kafka_mock_cluster_destroy(mc);
  rd_kafka_destroy(rk);
  return 0;
}
