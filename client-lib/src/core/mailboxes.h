// OwnMailboxes: this device's mailboxes, one per relay it keeps (k of them), each with
// its own Ed25519 auth key and id slot for one-time pre-keys (its index).
//
// Rows (identity column): "core/mailboxes" MailboxSet, "core/mailbox_auth/<index>" the
// 64-byte Ed25519 secret key (raw, so it only lives in wiped buffers).
//
// Thread-safety: the client's worker thread only (Snapshot copies are values).
#ifndef TOCSIN_CORE_MAILBOXES_H_
#define TOCSIN_CORE_MAILBOXES_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/batch.h"
#include "core/environment.h"
#include "net/relay_pool.h"
#include "store/device_store.h"
#include "tocsin/client.pb.h"
#include "tocsin/relay.pb.h"
#include "tocsin/relay_address.h"
#include "tocsin/status.h"

namespace tocsin::core {

struct OwnMailbox {
  client::OwnMailbox record;
  RelayAddress relay;
  std::shared_ptr<const net::AuthKeyPair> auth;
  net::MailboxId id() const;
};

class OwnMailboxes {
 public:
  static Result<std::unique_ptr<OwnMailboxes>> Load(store::DeviceStore& store);
  // Stages new mailboxes (at Create) and returns their book.
  static Result<std::unique_ptr<OwnMailboxes>> CreateNew(Batch& batch,
                                                         std::vector<OwnMailbox> mailboxes);

  const std::vector<OwnMailbox>& all() const { return mailboxes_; }
  // nullptr when there is none with that index.
  const OwnMailbox* Find(std::uint32_t index) const;
  const OwnMailbox* FindByRelay(const RelayAddress& relay, const net::MailboxId& id) const;

  // Stages `record` (a changed copy of one of ours); memory follows on commit.
  Status Stage(Batch& batch, const client::OwnMailbox& record);

 private:
  OwnMailboxes() = default;
  Status StageSet(Batch& batch, const client::MailboxSet& set);
  std::vector<OwnMailbox> mailboxes_;
};

// A fresh Ed25519 key pair (libsodium).
net::AuthKeyPair NewAuthKey();

// BLAKE2b-256 of a token, as SetTokens and RotateToken carry it (SPEC.md 7.1).
std::string TokenHash(std::string_view token);
wire::TokenEntry TokenEntryFor(wire::TokenClass token_class, std::string_view token,
                               std::uint32_t ttl_seconds = 0);

// Fixed-size views of ids and tokens kept as strings; all zero when the size is wrong.
net::MailboxId ToMailboxId(std::string_view bytes);
net::Token ToToken(std::string_view bytes);

// Orders relays for a device by rendezvous hashing of its identity key: the first k
// are where it keeps its mailboxes (docs/design.md, "Redundancy").
std::vector<std::size_t> RendezvousOrder(std::string_view identity_key,
                                         const std::vector<std::string>& relays);

}  // namespace tocsin::core

#endif  // TOCSIN_CORE_MAILBOXES_H_
