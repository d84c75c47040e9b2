// Pairwise resends: a message the recipient's session cannot decrypt is asked for again
// and sent again, encrypted anew with the current session under its original id.
//
// libsignal keeps the keys of a few recent ratchet chains (five) and of at most 2,000
// skipped messages per chain. Messages that arrive far out of order (retried after
// RATE_LIMITED, or through two relays) while both sides keep replying can fall outside
// that window: without a resend they would be lost. The sender keeps the payload of each
// application message until its receipt comes or it expires (SentRecord), so it can
// answer; the receiver's seen ids drop the copy it already has if the original does
// decrypt after all. Control messages (receipts, keys, requests) are not resent.
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>

#include "core/inbox.h"
#include "core/receiver.h"

namespace tocsin::core {
namespace {

constexpr std::uint32_t kMaxResends = 3;
constexpr std::size_t kMaxAskedIds = 10000;

}  // namespace

Outcome Receiver::RequestResend(Batch& batch, const client::ContactRecord& contact,
                                const std::string& message_id, const Status& failure) {
  (void)failure;  // why libsignal refused it does not change the answer
  if (resend_asked_.size() >= kMaxAskedIds) resend_asked_.clear();
  if (!resend_asked_.insert(message_id).second) return Outcome::kDrop;  // the other copy
  if (!CheckSendable(&contact).ok()) return Outcome::kDrop;
  app::Payload request;
  request.mutable_resend_request()->add_message_ids(message_id);
  const PairwiseMessage message{
      contact.contact_id(), request.SerializeAsString(), "", "", 0, false};
  auto staged = sender_.Stage(batch, contact, message, std::nullopt);
  if (!staged.ok()) {
    resend_asked_.erase(message_id);
    const Outcome outcome = Classify(staged.status());
    return outcome == Outcome::kRetryLater ? outcome : Outcome::kDrop;
  }
  ++stats_.resend_requests;
  return Outcome::kCommitted;
}

// Failures are not reported: the recipient asks again if it still cannot read it.
Awaitable<void> Receiver::Resend(PairwiseMessage message) {
  (void)co_await sender_.Send(std::move(message));
}

Status Receiver::OnPairwiseResendRequest(Batch& batch, const client::ContactRecord& sender,
                                         const app::ResendRequest& request) {
  const std::uint64_t now = context_.env.NowMs();
  for (const std::string& id : request.message_ids()) {
    std::optional<client::SentRecord> sent = context_.inbox->FindSent(id);
    // Only the message's own recipient may ask, and only for what is still alive.
    if (!sent || !sent->group_id().empty() || sent->contact_id() != sender.contact_id() ||
        sent->payload().empty() || sent->expires_ms() <= now || sent->resends() >= kMaxResends) {
      continue;
    }
    sent->set_resends(sent->resends() + 1);
    TOCSIN_RETURN_IF_ERROR(context_.inbox->StageUpdateSent(batch, *sent));
    PairwiseMessage again{
        sender.contact_id(), sent->payload(), id, "", sent->expires_ms() - now, false};
    AfterCommit([this, again = std::move(again)]() mutable {
      ++stats_.resends;
      asio::co_spawn(*context_.worker, Resend(std::move(again)), asio::detached);
    });
  }
  return Status::Ok();
}

}  // namespace tocsin::core
