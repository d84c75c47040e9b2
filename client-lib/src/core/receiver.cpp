#include "core/receiver.h"

#include <asio/post.hpp>

#include "core/contacts.h"
#include "core/crash_points.h"
#include "core/device_keys.h"
#include "core/hex.h"
#include "core/inbox.h"
#include "core/records.h"
#include "core/transport.h"
#include "crypto/sealed_sender.h"
#include "groups/group_service.h"

namespace tocsin::core {
namespace {

constexpr int kMaxStoreRetries = 5;
constexpr std::chrono::seconds kStoreRetryDelay{1};

}  // namespace

crypto::PlaintextCallback CapturePlaintext(Batch& batch, SeenIds& seen, const std::string& sender,
                                           const std::string& message_id, std::uint64_t now_ms,
                                           store::Plaintext* plaintext) {
  return [&batch, &seen, sender, message_id, now_ms,
          plaintext](std::span<const std::uint8_t> bytes) -> Status {
    plaintext->assign(bytes.begin(), bytes.end());
    return seen.Stage(batch, sender, message_id, now_ms, false);
  };
}

Outcome Classify(const Status& status) {
  switch (status.code()) {
    case Code::kOk:
      return Outcome::kCommitted;
    case Code::kDuplicate:
      return Outcome::kDuplicate;
    case Code::kIoError:
    case Code::kUnavailable:
      return Outcome::kRetryLater;
    default:
      return Outcome::kDrop;
  }
}

Receiver::Receiver(CoreContext& context, PairwiseSender& sender)
    : context_(context), sender_(sender) {}

Result<Receiver::Opened> Receiver::Open(const net::IncomingDelivery& delivery) {
  const auto keys = context_.keys->EnvelopeKeyPairs();
  Result<crypto::OpenedEnvelope> opened = Status::CryptoFailure("empty delivery");
  const bool v2 = delivery.envelope.empty();
  if (!v2) {
    opened = crypto::OpenV1(keys, Bytes(delivery.envelope), context_.dh_cache);
  } else if (delivery.blob) {
    opened = crypto::OpenV2(keys, Bytes(*delivery.blob), Bytes(delivery.view), context_.dh_cache);
  }
  if (!opened.ok()) return opened.status();
  Opened out;
  out.sender = ToString(opened->sender);
  out.v2 = v2;
  if (!out.content.ParseFromArray(opened->content.data(),
                                  static_cast<int>(opened->content.size()))) {
    return Status::CryptoFailure("sealed content does not parse");
  }
  crypto::Wipe(opened->content.data(), opened->content.size());
  if (out.content.sender_identity_key() != out.sender) {
    return Status::CryptoFailure("sealed content names another sender");
  }
  if (out.content.message_id().size() != 16) return Status::CryptoFailure("bad message id");
  if (v2) {
    // A body for many recipients carries no per-recipient addresses (SPEC.md 10.5).
    if (out.content.type() != envelope::SENDER_KEY_MESSAGE) {
      return Status::CryptoFailure("v2 body is not a group message");
    }
    out.content.clear_reply_addresses();
    out.content.clear_sender_envelope_key();
  }
  return out;
}

void Receiver::Ack(const net::IncomingDelivery& delivery) {
  context_.transport->Ack(delivery.relay, delivery.mailbox, delivery.seq);
}

void Receiver::Count(Outcome outcome) {
  switch (outcome) {
    case Outcome::kCommitted:
      ++stats_.delivered;
      break;
    case Outcome::kDuplicate:
      ++stats_.duplicates;
      break;
    case Outcome::kParked:
      ++stats_.parked;
      break;
    default:
      ++stats_.dropped;
  }
}

void Receiver::Handle(net::IncomingDelivery delivery) { HandleAttempt(std::move(delivery), 0); }

void Receiver::HandleAttempt(net::IncomingDelivery delivery, int attempts) {
  if (attempts == 0) ++stats_.received;
  auto opened = Open(delivery);
  if (!opened.ok()) {
    ++stats_.unauthenticated;
    Ack(delivery);
    return;
  }
  const Outcome outcome = Process(opened->sender, opened->content, Origin{});
  if (outcome == Outcome::kRetryLater) {
    RetryLater(std::move(delivery), attempts);
    return;
  }
  Count(outcome);
  if (outcome == Outcome::kCommitted || outcome == Outcome::kParked) {
    ReachCrashPoint(CrashPoint::kAfterCommitBeforeAck);
  }
  Ack(delivery);
}

Outcome Receiver::Process(const std::string& sender, const envelope::SealedContent& content,
                          const Origin& given_origin) {
  Origin origin = given_origin;
  Batch batch(*context_.store);
  after_commit_.clear();
  if (!origin.pending_seq) {
    auto seen = context_.seen->Get(batch, sender, content.message_id());
    if (!seen.ok()) return Outcome::kRetryLater;
    if (seen->has_value()) {
      // A copy of a message we hold in pending: only a pairwise resend of it goes on.
      if (!(*seen)->pending() || content.type() == envelope::SENDER_KEY_MESSAGE) {
        return Outcome::kDuplicate;
      }
      origin.resend_of_pending = true;
    }
  }
  const Outcome outcome = Dispatch(batch, sender, content, origin);
  if (outcome != Outcome::kCommitted && outcome != Outcome::kParked) {
    after_commit_.clear();
    return outcome;
  }
  ReachCrashPoint(CrashPoint::kAfterDecryptBeforeCommit);
  if (!batch.Commit().ok()) {
    after_commit_.clear();
    return Outcome::kRetryLater;
  }
  auto actions = std::move(after_commit_);
  after_commit_.clear();
  for (auto& action : actions) action();
  return outcome;
}

Outcome Receiver::Dispatch(Batch& batch, const std::string& sender,
                           const envelope::SealedContent& content, const Origin& origin) {
  switch (content.type()) {
    case envelope::SIGNAL_MESSAGE:
    case envelope::PREKEY_SIGNAL_MESSAGE:
      return Pairwise(batch, sender, content, origin);
    case envelope::SENDER_KEY_MESSAGE:
      if (groups_ == nullptr) return Outcome::kDrop;
      return groups_->Receive(batch, sender, content, origin, *this);
    default:
      return Outcome::kDrop;  // unknown types are dropped (SPEC.md section 12)
  }
}

Outcome Receiver::Park(Batch& batch, client::PendingReason reason, const std::string& sender,
                       const envelope::SealedContent& content, const std::string& contact_id,
                       const Origin& origin) {
  if (origin.pending_seq) return Outcome::kParked;  // still waiting: nothing changes
  const std::uint64_t now = context_.env.NowMs();
  client::PendingRecord record;
  record.set_reason(reason);
  record.set_sender_identity(sender);
  record.set_content(content.SerializeAsString());
  record.set_received_ms(now);
  record.set_expires_ms(now + ToMs(context_.options.ttl_cap));
  record.set_group_id(content.group_id());
  record.set_contact_id(contact_id);
  record.set_message_id(content.message_id());
  const bool first_held = context_.pending
                              ->Matching([&](const client::PendingRecord& r) {
                                return r.reason() == reason && r.contact_id() == contact_id;
                              })
                              .empty();
  if (!context_.pending->Stage(batch, record).ok() ||
      !context_.seen->Stage(batch, sender, content.message_id(), now, true).ok()) {
    return Outcome::kRetryLater;
  }
  if (reason == client::UNTRUSTED_IDENTITY && first_held) {
    client::EventRecord event;
    event.set_kind(client::IDENTITY_CHANGE_REFUSED);
    event.set_contact_id(contact_id);
    event.set_message_id(content.message_id());
    event.set_sent_ms(content.timestamp_ms());
    if (!context_.inbox->StageEvent(batch, event).ok()) return Outcome::kRetryLater;
  }
  return Outcome::kParked;
}

Status Receiver::FinishPending(Batch& batch, const std::string& sender,
                               const std::string& message_id, const Origin& origin) {
  if (origin.pending_seq) return context_.pending->StageRemove(batch, *origin.pending_seq);
  if (!origin.resend_of_pending) return Status::Ok();
  for (std::uint64_t seq : context_.pending->Matching([&](const client::PendingRecord& r) {
         return r.sender_identity() == sender && r.message_id() == message_id;
       })) {
    TOCSIN_RETURN_IF_ERROR(context_.pending->StageRemove(batch, seq));
  }
  return Status::Ok();
}

void Receiver::RetryPending(const std::vector<std::uint64_t>& seqs) {
  for (std::uint64_t seq : seqs) {
    auto it = context_.pending->all().find(seq);
    if (it == context_.pending->all().end()) continue;
    const client::PendingRecord record = it->second;
    envelope::SealedContent content;
    Outcome outcome = Outcome::kDrop;
    if (record.reason() != client::UNACCEPTED_SENDER && content.ParseFromString(record.content())) {
      outcome = Process(record.sender_identity(), content, Origin{seq, false});
    } else if (groups_ != nullptr && record.reason() == client::UNACCEPTED_SENDER) {
      outcome = groups_->RetryDistribution(seq, record, *this);
    }
    if (outcome == Outcome::kDrop || outcome == Outcome::kDuplicate) {
      Batch batch(*context_.store);
      if (context_.pending->StageRemove(batch, seq).ok()) (void)batch.Commit();
    }
  }
}

void Receiver::RetryLater(net::IncomingDelivery delivery, int attempts) {
  if (attempts >= kMaxStoreRetries) return;  // left unacked: delivered again on resubscribe
  if (!retry_timer_) retry_timer_ = std::make_unique<asio::steady_timer>(*context_.worker);
  retry_.push_back({std::move(delivery), attempts + 1});
  retry_timer_->expires_after(kStoreRetryDelay);
  retry_timer_->async_wait([this](const asio::error_code& error) {
    if (error) return;
    auto waiting = std::move(retry_);
    retry_.clear();
    for (auto& entry : waiting) HandleAttempt(std::move(entry.delivery), entry.attempts);
  });
}

}  // namespace tocsin::core
