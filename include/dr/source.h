// The source seam: something ecap-dr backs up (PostgreSQL, an S3 data lake,
// Kafka, files) and restores. A source never touches storage: it hands items
// to an ItemWriter on backup and reads them from an ItemReader on restore; the
// backup layer implements both over the repository. Each item becomes one
// SnapshotItem (name, kind, meta, and for streams the blob list and SHA-256).
#pragma once

#include <functional>
#include <stop_token>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "dr/io.h"
#include "dr/result.h"

namespace dr::repo {
// What the repository recorded of an item (repo/snapshot/snapshot.h); a source
// that reads its fields includes that header.
struct SnapshotItem;
}  // namespace dr::repo

namespace dr {

struct ItemHeader {
  std::string name;  // unique within the component
  std::string kind;  // "file", "dir", "symlink", "stream", ...
  nlohmann::json meta = nlohmann::json::object();
};

class ItemWriter {
 public:
  virtual ~ItemWriter() = default;
  // Stores the stream's bytes (chunked, deduplicated, sealed) and records the
  // item. `amend`, when given, runs after the stream is consumed and may add to
  // the item's meta what only reading revealed (an object's content type).
  virtual Status AddStream(ItemHeader header, ByteSource& data,
                           const std::function<void(nlohmann::json&)>& amend = {}) = 0;
  // Records an item without data (a directory, a symlink, a topic definition).
  virtual Status AddEntry(ItemHeader header) = 0;
  // Records an item unchanged since an earlier backup, reusing its stored
  // blobs without reading it again. kNotFound when those blobs are gone (pruned):
  // the source must then read the item anew.
  virtual Status AddUnchanged(const repo::SnapshotItem& item) = 0;
  // Facts about the whole component (server version, host), kept in the snapshot.
  virtual void SetComponentMeta(nlohmann::json meta) = 0;
  // The source knows that about this many more bytes will be read (the files'
  // sizes, a bucket's listing); for progress only: a total, percentage and ETA.
  virtual void ExpectBytes(uint64_t bytes) { (void)bytes; }
  // Requested when the backup is cancelled (the daemon's shutdown). A source
  // that waits on something outside (a child process blocked on a server's
  // lock, a server that does not answer) must stop waiting then: the
  // repository checks it only between the bytes it is handed.
  virtual std::stop_token stop_token() const { return {}; }
};

// Where ItemReader::ReadItems puts each item of a batch.
class ItemSinks {
 public:
  virtual ~ItemSinks() = default;
  // The sink for items[i]'s bytes, valid until Done(i) or Abandon(i). It may be
  // asked for again after Abandon(i): it then starts afresh (a batch that failed
  // is read again item by item).
  virtual Result<ByteSink*> Open(size_t i) = 0;
  // All of items[i]'s bytes were written, authenticated, and matched its size.
  virtual Status Done(size_t i) = 0;
  // items[i] was not read whole: nothing of it may stay.
  virtual void Abandon(size_t i) = 0;
};

class ItemReader {
 public:
  virtual ~ItemReader() = default;
  // Writes the item's bytes to sink; every byte is authenticated first (each blob
  // with its id, in the item's order) and the size checked (kCorrupt if not).
  // The recorded SHA-256 is compared by `verify --full` (Repository::StreamHash).
  virtual Status ReadItem(const repo::SnapshotItem& item, ByteSink& sink) = 0;
  // Reads many items, in order, each into the sink `sinks` opens for it: how a
  // restore of many small files reads them, their blobs fetched together as one
  // stream (neighbours in one request) rather than an item at a time. Items
  // Done before an error stay done; the error names the item it is about, as
  // ReadItem's do. This default reads them one by one.
  virtual Status ReadItems(const std::vector<const repo::SnapshotItem*>& items, ItemSinks& sinks) {
    for (size_t i = 0; i < items.size(); ++i) {
      auto sink = sinks.Open(i);
      if (!sink.ok()) return sink.status();
      Status s = ReadItem(*items[i], **sink);
      if (s.ok()) s = sinks.Done(i);
      if (!s.ok()) {
        sinks.Abandon(i);
        return s;
      }
    }
    return Status::Ok();
  }
  // Requested when the restore is cancelled (the daemon's shutdown). A source
  // whose restore waits on something outside (pg_restore blocked on a lock in
  // the target database) must stop waiting then, as on backup (ItemWriter).
  virtual std::stop_token stop_token() const { return {}; }
};

// An earlier backup's item list read front to back (snapshot format 2), one
// batch at a time: how a source whose walk visits names in the list's own
// order compares with its base without holding it (the files walk).
class ItemCursor {
 public:
  virtual ~ItemCursor() = default;
  // The next item, nullptr after the last; valid until the next call.
  virtual Result<const repo::SnapshotItem*> Next() = 0;
};

class Source {
 public:
  virtual ~Source() = default;
  virtual std::string component() const = 0;
  virtual Status Backup(ItemWriter& writer) = 0;
};

}  // namespace dr
