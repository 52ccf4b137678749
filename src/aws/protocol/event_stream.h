// Decoder for the AWS event stream framing (application/vnd.amazon.eventstream): a sequence of
// messages, each [total length][headers length][prelude CRC][headers][payload][message CRC], all
// big-endian, CRCs are CRC-32 (IEEE). Used for operation outputs the model marks "eventstream".
// Thread-safety: pure function.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace fleetpatch::aws::protocol {

struct EventMessage {
  // Header values as text: strings and bytes as-is, integers in decimal, booleans "true"/"false".
  std::map<std::string, std::string> headers;
  std::string payload;
};

// Fails (kAws) on truncated frames or a CRC mismatch.
Result<std::vector<EventMessage>> DecodeEventStream(std::string_view bytes);

}  // namespace fleetpatch::aws::protocol
