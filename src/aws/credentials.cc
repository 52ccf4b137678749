#include "aws/credentials.h"

namespace fleetpatch::aws {

std::string Credentials::Redacted() const {
  std::string id = access_key_id.size() > 8
                       ? access_key_id.substr(0, 4) + "****" + access_key_id.substr(access_key_id.size() - 4)
                       : std::string("****");
  return source.empty() ? id : id + " from " + source;
}

}  // namespace fleetpatch::aws
