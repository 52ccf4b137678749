#include "report/xml_util.h"

#include <sstream>

#include "report/report_format.h"
#include "report/text_util.h"

namespace fleetpatch::report {

void SetAttr(pugi::xml_node node, const char* name, std::string_view value) {
  node.append_attribute(name).set_value(XmlSafeText(value).c_str());
}
void SetAttr(pugi::xml_node node, const char* name, int64_t value) {
  node.append_attribute(name).set_value(FormatNumber(value).c_str());
}
void SetAttr(pugi::xml_node node, const char* name, double value) {
  node.append_attribute(name).set_value(FormatNumber(value).c_str());
}
void SetBoolAttr(pugi::xml_node node, const char* name, bool value) {
  node.append_attribute(name).set_value(value ? "true" : "false");
}

pugi::xml_node AddText(pugi::xml_node parent, const char* name, std::string_view text) {
  pugi::xml_node n = parent.append_child(name);
  std::string safe = XmlSafeText(text);
  if (!safe.empty()) n.append_child(pugi::node_pcdata).set_value(safe.c_str());
  return n;
}

std::string SaveXml(const pugi::xml_document& doc) {
  std::ostringstream out;
  doc.save(out, "  ", pugi::format_default, pugi::encoding_utf8);
  return out.str();
}

}  // namespace fleetpatch::report
