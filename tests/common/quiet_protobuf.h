// Silences libprotobuf's log while in scope: tests that feed it mistyped input (cards
// with invalid UTF-8 in string fields) expect its complaints.
#ifndef TOCSIN_TESTS_COMMON_QUIET_PROTOBUF_H_
#define TOCSIN_TESTS_COMMON_QUIET_PROTOBUF_H_

#include <google/protobuf/stubs/logging.h>

namespace tocsin::testing {

class QuietProtobuf {
 public:
  QuietProtobuf() : previous_(google::protobuf::SetLogHandler(nullptr)) {}
  ~QuietProtobuf() { google::protobuf::SetLogHandler(previous_); }
  QuietProtobuf(const QuietProtobuf&) = delete;
  QuietProtobuf& operator=(const QuietProtobuf&) = delete;

 private:
  google::protobuf::LogHandler* previous_;
};

}  // namespace tocsin::testing

#endif  // TOCSIN_TESTS_COMMON_QUIET_PROTOBUF_H_
