// tocsin::Client: groups and events.
#include "core/client_core.h"
#include "core/hex.h"
#include "tocsin/alert.pb.h"
#include "tocsin/client.h"

namespace tocsin {
namespace {

using core::Awaitable;

Result<std::string> GroupIdFromHex(const std::string& hex) {
  auto bytes = core::FromHex(hex, 16);
  if (!bytes) return Status::InvalidArgument("bad group id");
  return *bytes;
}

Result<std::vector<std::string>> ContactIds(const std::vector<ContactId>& hex) {
  std::vector<std::string> out;
  for (const auto& id : hex) {
    auto bytes = core::FromHex(id, 16);
    if (!bytes) return Status::InvalidArgument("bad contact id");
    out.push_back(*bytes);
  }
  return out;
}

Status CheckGroupPayload(std::string_view payload) {
  app::Payload parsed;
  if (!parsed.ParseFromArray(payload.data(), static_cast<int>(payload.size())) ||
      parsed.body_case() == app::Payload::BODY_NOT_SET || core::IsControlPayload(parsed)) {
    return Status::InvalidArgument("the payload is empty, malformed or reserved for the client");
  }
  return Status::Ok();
}

// Runs a membership change: group id and contact ids from hex, then `op` on the worker.
template <typename Op>
Status Membership(core::ClientCore& core, const GroupId& group,
                  const std::vector<ContactId>& contacts, Op op) {
  auto id = GroupIdFromHex(group);
  if (!id.ok()) return id.status();
  auto ids = ContactIds(contacts);
  if (!ids.ok()) return ids.status();
  return core.RunStatus([&core, op, id = *id, ids = *ids] { return op(core.groups(), id, ids); });
}

}  // namespace

Result<GroupId> Client::CreateGroup(const std::string& name,
                                    const std::vector<ContactId>& members) {
  auto ids = ContactIds(members);
  if (!ids.ok()) return ids.status();
  auto group = core_->Run<std::string>(
      [this, name, ids = *ids] { return core_->groups().Create(name, ids); });
  if (!group.ok()) return group.status();
  return core::ToHex(*group);
}

Status Client::JoinGroup(const GroupId& group, const std::string& name,
                         const std::vector<ContactId>& senders) {
  return Membership(*core_, group, senders,
                    [name](groups::GroupService& g, std::string id, std::vector<std::string> ids) {
                      return g.Join(std::move(id), name, std::move(ids));
                    });
}

Status Client::AddSenders(const GroupId& group, const std::vector<ContactId>& senders) {
  return JoinGroup(group, "", senders);
}

Status Client::AddMembers(const GroupId& group, const std::vector<ContactId>& members) {
  return Membership(*core_, group, members,
                    [](groups::GroupService& g, std::string id, std::vector<std::string> ids) {
                      return g.AddMembers(std::move(id), std::move(ids));
                    });
}

Status Client::RemoveMembers(const GroupId& group, const std::vector<ContactId>& members) {
  return Membership(*core_, group, members,
                    [](groups::GroupService& g, std::string id, std::vector<std::string> ids) {
                      return g.RemoveMembers(std::move(id), std::move(ids));
                    });
}

Status Client::RemoveSenders(const GroupId& group, const std::vector<ContactId>& senders) {
  return Membership(*core_, group, senders,
                    [](groups::GroupService& g, std::string id, std::vector<std::string> ids) {
                      return g.RemoveSenders(std::move(id), std::move(ids));
                    });
}

Status Client::LeaveGroup(const GroupId& group) {
  return Membership(*core_, group, {},
                    [](groups::GroupService& g, std::string id, std::vector<std::string>) {
                      return g.Leave(std::move(id));
                    });
}

Result<std::vector<GroupInfo>> Client::Groups() const {
  return core_->Run<std::vector<GroupInfo>>([this]() -> Awaitable<Result<std::vector<GroupInfo>>> {
    std::vector<GroupInfo> out;
    for (const auto* record : core_->context().groups->All()) {
      out.push_back(groups::ToGroupInfo(*record));
    }
    co_return out;
  });
}

Result<MessageId> Client::SendGroupText(const GroupId& group, std::string_view text,
                                        const SendOptions& options) {
  app::Payload payload;
  payload.mutable_text()->set_body(std::string(text));
  return SendToGroup(group, payload.SerializeAsString(), options);
}

Result<MessageId> Client::SendToGroup(const GroupId& group, std::string_view payload,
                                      const SendOptions& options) {
  auto id = GroupIdFromHex(group);
  if (!id.ok()) return id.status();
  TOCSIN_RETURN_IF_ERROR(CheckGroupPayload(payload));
  auto sent = core_->Run<std::string>(
      [this, id = *id, payload = std::string(payload), ttl = core::ToMs(options.ttl)] {
        return core_->groups().Send(id, payload, core_->context().SendTtlMs(ttl));
      });
  if (!sent.ok()) return sent.status();
  return core::ToHex(*sent);
}

void Client::SetEventHandler(std::function<void(const Event&)> handler) {
  if (!core_->closed()) core_->events().SetHandler(std::move(handler));
}

std::optional<Event> Client::WaitEvent(std::chrono::milliseconds timeout) {
  if (core_->closed()) return std::nullopt;
  return core_->events().Wait(timeout);
}

Result<std::vector<Event>> Client::PendingEvents() const {
  return core_->Run<std::vector<Event>>([this]() -> Awaitable<Result<std::vector<Event>>> {
    co_return core_->context().inbox->Pending();
  });
}

Status Client::Done(EventId event) {
  if (event == 0) return Status::Ok();
  return core_->RunStatus(
      [this, event]() -> Awaitable<Status> { co_return core_->context().inbox->Done(event); });
}

Status Client::PurgeContentBefore(std::uint64_t before_ms) {
  return core_->RunStatus([this, before_ms]() -> Awaitable<Status> {
    co_return core_->context().inbox->PurgeBefore(before_ms);
  });
}

}  // namespace tocsin
