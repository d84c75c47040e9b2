#include "core/mailboxes.h"

#include <sodium.h>

#include <algorithm>
#include <numeric>

#include "core/hex.h"
#include "core/records.h"

namespace tocsin::core {
namespace {

constexpr std::string_view kMailboxesRow = "core/mailboxes";

std::string AuthRow(std::uint32_t index) { return "core/mailbox_auth/" + std::to_string(index); }

template <std::size_t N>
std::array<std::uint8_t, N> ToArray(std::string_view bytes) {
  std::array<std::uint8_t, N> out{};
  if (bytes.size() == N) std::copy(bytes.begin(), bytes.end(), out.begin());
  return out;
}

}  // namespace

net::MailboxId OwnMailbox::id() const { return ToMailboxId(record.mailbox_id()); }

net::AuthKeyPair NewAuthKey() {
  net::AuthKeyPair pair;
  pair.secret_key = crypto::SecretBytes(crypto_sign_SECRETKEYBYTES);
  crypto_sign_keypair(pair.public_key.data(), pair.secret_key.data());
  return pair;
}

std::string TokenHash(std::string_view token) {
  std::string hash(crypto_generichash_BYTES, '\0');
  crypto_generichash(reinterpret_cast<unsigned char*>(hash.data()), hash.size(),
                     reinterpret_cast<const unsigned char*>(token.data()), token.size(), nullptr,
                     0);
  return hash;
}

wire::TokenEntry TokenEntryFor(wire::TokenClass token_class, std::string_view token,
                               std::uint32_t ttl_seconds) {
  wire::TokenEntry entry;
  entry.set_token_class(token_class);
  entry.set_token_hash(TokenHash(token));
  entry.set_ttl_seconds(ttl_seconds);
  return entry;
}

net::MailboxId ToMailboxId(std::string_view bytes) { return ToArray<16>(bytes); }
net::Token ToToken(std::string_view bytes) { return ToArray<16>(bytes); }

std::vector<std::size_t> RendezvousOrder(std::string_view identity_key,
                                         const std::vector<std::string>& relays) {
  std::vector<std::array<std::uint8_t, 32>> scores(relays.size());
  for (std::size_t i = 0; i < relays.size(); ++i) {
    crypto_generichash_state state;
    crypto_generichash_init(&state, nullptr, 0, scores[i].size());
    crypto_generichash_update(&state, Bytes(identity_key).data(), identity_key.size());
    crypto_generichash_update(&state, Bytes(relays[i]).data(), relays[i].size());
    crypto_generichash_final(&state, scores[i].data(), scores[i].size());
  }
  std::vector<std::size_t> order(relays.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return scores[a] > scores[b]; });
  return order;
}

Result<std::unique_ptr<OwnMailboxes>> OwnMailboxes::Load(store::DeviceStore& store) {
  auto set = GetRecord<client::MailboxSet>(store, store::Column::kIdentity, Name(kMailboxesRow));
  if (!set.ok()) return set.status();
  if (!set->has_value()) return Status::Corruption("the device has no mailboxes");
  std::unique_ptr<OwnMailboxes> book(new OwnMailboxes());
  for (const auto& record : (*set)->mailboxes()) {
    auto relay = ParseRelayAddress(record.relay());
    if (!relay.ok()) return Status::Corruption("a stored relay address does not parse");
    auto secret = store.Get(store::Column::kIdentity, Name(AuthRow(record.index())));
    if (!secret.ok()) return secret.status();
    if (!secret->has_value() || (*secret)->size() != crypto_sign_SECRETKEYBYTES ||
        record.auth_public_key().size() != crypto_sign_PUBLICKEYBYTES) {
      return Status::Corruption("a mailbox auth key is missing or malformed");
    }
    auto auth = std::make_shared<net::AuthKeyPair>();
    auth->secret_key = crypto::SecretBytes::CopyOf(store::View(**secret));
    auth->public_key = ToArray<32>(record.auth_public_key());
    book->mailboxes_.push_back(OwnMailbox{record, *relay, std::move(auth)});
  }
  return book;
}

Result<std::unique_ptr<OwnMailboxes>> OwnMailboxes::CreateNew(Batch& batch,
                                                              std::vector<OwnMailbox> mailboxes) {
  std::unique_ptr<OwnMailboxes> book(new OwnMailboxes());
  client::MailboxSet set;
  for (auto& mailbox : mailboxes) {
    TOCSIN_RETURN_IF_ERROR(batch.txn().Put(store::Column::kIdentity,
                                           Name(AuthRow(mailbox.record.index())),
                                           mailbox.auth->secret_key.span()));
    *set.add_mailboxes() = mailbox.record;
  }
  TOCSIN_RETURN_IF_ERROR(book->StageSet(batch, set));
  book->mailboxes_ = std::move(mailboxes);
  return book;
}

const OwnMailbox* OwnMailboxes::Find(std::uint32_t index) const {
  for (const auto& mailbox : mailboxes_) {
    if (mailbox.record.index() == index) return &mailbox;
  }
  return nullptr;
}

const OwnMailbox* OwnMailboxes::FindByRelay(const RelayAddress& relay,
                                            const net::MailboxId& id) const {
  for (const auto& mailbox : mailboxes_) {
    if (mailbox.relay == relay && mailbox.id() == id) return &mailbox;
  }
  return nullptr;
}

Status OwnMailboxes::StageSet(Batch& batch, const client::MailboxSet& set) {
  return PutRecord(batch.txn(), store::Column::kIdentity, Name(kMailboxesRow), set);
}

Status OwnMailboxes::Stage(Batch& batch, const client::OwnMailbox& record) {
  client::MailboxSet set;
  for (const auto& mailbox : mailboxes_) {
    *set.add_mailboxes() = mailbox.record.index() == record.index() ? record : mailbox.record;
  }
  TOCSIN_RETURN_IF_ERROR(StageSet(batch, set));
  batch.OnCommit([this, record] {
    for (auto& mailbox : mailboxes_) {
      if (mailbox.record.index() == record.index()) mailbox.record = record;
    }
  });
  return Status::Ok();
}

}  // namespace tocsin::core
