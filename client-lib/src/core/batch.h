// Batch: one store transaction plus what to do once it is committed.
//
// Every change the client makes (libsignal state, contacts, outbox entries, events,
// seen ids) is staged into one Batch and committed with one synced write; the in-memory
// views of that state (contact book, outbox queue, event queue) are updated by the
// OnCommit actions, so memory never runs ahead of the disk. A batch dropped without
// Commit leaves neither.
//
// Thread-safety: one thread (the client's worker).
#ifndef TOCSIN_CORE_BATCH_H_
#define TOCSIN_CORE_BATCH_H_

#include <functional>
#include <utility>
#include <vector>

#include "store/device_store.h"
#include "store/transaction.h"
#include "tocsin/status.h"

namespace tocsin::core {

class Batch {
 public:
  explicit Batch(store::DeviceStore& store) : txn_(store.Begin()) {}
  Batch(const Batch&) = delete;
  Batch& operator=(const Batch&) = delete;

  store::Transaction& txn() { return txn_; }

  // Runs `action` after a successful Commit, in the order given.
  void OnCommit(std::function<void()> action) { on_commit_.push_back(std::move(action)); }

  // Commits the transaction (one synced write), then runs the actions.
  Status Commit() {
    TOCSIN_RETURN_IF_ERROR(txn_.Commit());
    auto actions = std::move(on_commit_);
    for (auto& action : actions) action();
    return Status::Ok();
  }

 private:
  store::Transaction txn_;
  std::vector<std::function<void()>> on_commit_;
};

}  // namespace tocsin::core

#endif  // TOCSIN_CORE_BATCH_H_
