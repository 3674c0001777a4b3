// The machine's ceiling for the backup and restore pipelines, on in-memory data
// and all cores: what ecap-dr's end-to-end numbers are measured against
// (docs/BENCHMARKS.md). Backup: FastCDC chunking + SHA-256 + zstd-3 +
// AES-256-GCM. Restore: AES-256-GCM open + zstd decompress + SHA-256.
//
//   dr_bench_pipeline --input FILE [--benchmark_...]   (default input: generated text)
#include <benchmark/benchmark.h>

#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "base/crypto.h"
#include "base/thread_pool.h"
#include "repo/chunker/chunker.h"
#include "repo/crypto/seal.h"

namespace {

std::string g_input;

struct Chunked {
  std::vector<std::string> chunks;
};

std::vector<std::string> Chunk(const std::string& data) {
  dr::StringSource src(data);
  dr::repo::GearTable gear = dr::repo::MakeGearTable(1);
  dr::repo::Chunker chunker(src, gear, {});
  std::vector<std::string> out;
  std::string c;
  while (*chunker.Next(&c)) out.push_back(std::move(c));
  return out;
}

const dr::repo::SealKey kKey{dr::repo::CipherId::kAes256Gcm, 1, std::string(32, 'k')};

void BM_Chunking(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(Chunk(g_input).size());
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * g_input.size()));
}

// Chunk on one thread (the chunker is sequential), hash+compress+seal on all cores.
void BM_BackupCeiling(benchmark::State& state) {
  size_t threads = std::thread::hardware_concurrency();
  dr::ThreadPool pool(threads);
  for (auto _ : state) {
    dr::StringSource src(g_input);
    dr::repo::GearTable gear = dr::repo::MakeGearTable(1);
    dr::repo::Chunker chunker(src, gear, {});
    std::vector<std::future<size_t>> futures;
    std::string c;
    while (*chunker.Next(&c)) {
      futures.push_back(pool.Submit([chunk = std::move(c)] {
        std::string id = dr::crypto::Sha256(chunk);
        return dr::repo::Seal(kKey, dr::repo::ObjectType::kData, chunk, 3).size() + id.size();
      }));
    }
    size_t total = 0;
    for (auto& f : futures) total += f.get();
    benchmark::DoNotOptimize(total);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * g_input.size()));
}

void BM_RestoreCeiling(benchmark::State& state) {
  size_t threads = std::thread::hardware_concurrency();
  dr::ThreadPool pool(threads);
  std::vector<std::string> sealed;
  for (auto& c : Chunk(g_input)) sealed.push_back(dr::repo::Seal(kKey, dr::repo::ObjectType::kData, c, 3));
  for (auto _ : state) {
    std::vector<std::future<std::string>> futures;
    for (const auto& s : sealed) {
      futures.push_back(pool.Submit([&s] { return *dr::repo::Unseal(kKey, dr::repo::ObjectType::kData, s); }));
    }
    dr::crypto::Sha256Stream sha;  // the restored stream's hash is sequential, as in a real restore
    for (auto& f : futures) sha.Update(f.get());
    benchmark::DoNotOptimize(sha.Finish());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * g_input.size()));
}

BENCHMARK(BM_Chunking)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_BackupCeiling)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_RestoreCeiling)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

int main(int argc, char** argv) {
  std::string input_path;
  std::vector<char*> rest;
  for (int i = 0; i < argc; ++i) {
    if (std::strcmp(argv[i], "--input") == 0 && i + 1 < argc) {
      input_path = argv[++i];
    } else {
      rest.push_back(argv[i]);
    }
  }
  if (!input_path.empty()) {
    std::ifstream f(input_path, std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    g_input = ss.str();
  } else {
    for (int i = 0; g_input.size() < (256u << 20); ++i) g_input += "order," + std::to_string(i * 7919 % 100003) + ",paid\n";
  }
  int n = static_cast<int>(rest.size());
  benchmark::Initialize(&n, rest.data());
  benchmark::RunSpecifiedBenchmarks();
  return 0;
}
