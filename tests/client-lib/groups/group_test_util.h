// What the group tests share: reading a fan-out as a member would, and trying a group
// ciphertext with a member's keys without changing its state.
#ifndef TOCSIN_TESTS_GROUP_TEST_UTIL_H_
#define TOCSIN_TESTS_GROUP_TEST_UTIL_H_

#include <algorithm>
#include <string>

#include "client_test_util.h"
#include "core/hex.h"
#include "crypto/sealed_sender.h"
#include "crypto/signal_group.h"
#include "groups/group_book.h"
#include "tocsin/envelope.pb.h"

namespace tocsin::testing {

inline bool IsPairwise(const net::IncomingDelivery& d) { return !d.envelope.empty(); }

inline std::size_t CountText(const EventLog& log, const std::string& text) {
  const auto texts = log.Texts();
  return static_cast<std::size_t>(std::count(texts.begin(), texts.end(), text));
}

inline net::MailboxId FirstMailbox(Client& client) {
  return OnWorker<net::MailboxId>(
      client, [&client] { return client.core().context().mailboxes->all().front().id(); });
}

// Opens a fan-out's blob with `member`'s view of it and returns the sender-key
// ciphertext inside.
inline std::string OpenGroupCiphertext(Client& member, const HookedTransport::FanOut& fan_out) {
  const net::MailboxId mailbox = FirstMailbox(member);
  auto view = std::find_if(fan_out.views.begin(), fan_out.views.end(),
                           [&](const net::OutgoingView& v) { return v.mailbox == mailbox; });
  REQUIRE(view != fan_out.views.end());
  return OnWorker<std::string>(member, [&] {
    auto keys = member.core().context().keys->EnvelopeKeyPairs();
    auto opened = crypto::OpenV2(keys, core::Bytes(fan_out.blob), core::Bytes(view->view));
    REQUIRE(opened.ok());
    envelope::SealedContent content;
    REQUIRE(
        content.ParseFromArray(opened->content.data(), static_cast<int>(opened->content.size())));
    return content.ciphertext();
  });
}

// True when `fan_out` has a view for `member`'s mailbox.
inline bool Addressed(const HookedTransport::FanOut& fan_out, Client& member) {
  const net::MailboxId mailbox = FirstMailbox(member);
  return std::any_of(fan_out.views.begin(), fan_out.views.end(),
                     [&](const net::OutgoingView& v) { return v.mailbox == mailbox; });
}

// Decrypts `ciphertext` with the sender key `member` holds for (`group`, `sender`, a
// contact id of `member`), in a batch that is never committed: the member's state does
// not change, so the same ciphertext can be tried by several members, or again. The
// code of the failure, or kOk.
inline Code TryGroupDecrypt(Client& member, const GroupId& group, const ContactId& sender,
                            const std::string& ciphertext) {
  return OnWorker<Code>(member, [&] {
    auto& context = member.core().context();
    core::Batch batch(*context.store);
    store::ScopedSignalBatch attach(*context.signal_store, batch.txn());
    auto cipher = crypto::GroupCipher::Create(
        *context.store_context,
        groups::ContactSenderKeyName(*core::FromHex(group), *core::FromHex(sender)));
    if (!cipher.ok()) return cipher.status().code();
    auto plain = cipher->Decrypt(core::Bytes(ciphertext));
    return plain.ok() ? Code::kOk : plain.status().code();
  });
}

// A client and its event log, as the group tests drive them.
struct Device {
  std::unique_ptr<Client> client;
  std::unique_ptr<EventLog> log;
};

// Waits for `from`'s invite to `group`, then joins it.
inline void AcceptInvite(Device& device, const GroupId& group, const ContactId& from) {
  REQUIRE(device.log->WaitFor([&](const Event& e) {
    return e.kind == EventKind::kGroupInvite && e.group == group && e.contact == from;
  }));
  Check(device.client->JoinGroup(group, "zone 4", {from}));
}

}  // namespace tocsin::testing

#endif  // TOCSIN_TESTS_GROUP_TEST_UTIL_H_
