#include "workflow/long_output.h"

namespace fleetpatch::workflow {

size_t OutputChars(std::string_view output) {
  size_t chars = 0;
  for (unsigned char c : output) {
    if ((c & 0xC0) != 0x80) ++chars;  // every byte that does not continue a sequence starts a character
  }
  return chars;
}

bool OutputMayBeCut(std::string_view output, OutputSource source) {
  size_t limit =
      source == OutputSource::kListInvocations ? kListInvocationsOutputChars : kGetInvocationOutputChars;
  // Cheap exit: fewer bytes than the limit cannot be that many characters.
  if (output.size() < limit) return false;
  return OutputChars(output) >= limit;
}

}  // namespace fleetpatch::workflow
