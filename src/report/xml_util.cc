#include "report/xml_util.h"

#include <sstream>
#include <string_view>

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

namespace {
constexpr const char* kIndent = "  ";
}  // namespace

void PrintXml(std::ostream& out, pugi::xml_node node, unsigned depth) {
  node.print(out, kIndent, pugi::format_default, pugi::encoding_utf8, depth);
}

StreamedElement::StreamedElement(std::ostream& out, const char* name, unsigned depth)
    : out_(out), frame_(doc_.append_child(name)), depth_(depth) {}

void StreamedElement::Child(pugi::xml_node child) {
  Open();
  PrintXml(out_, child, depth_ + 1);
}

void StreamedElement::Open() {
  if (!open_) {
    // pugixml prints a childless element as "<name attrs />\n": the same text with ">\n" is the
    // start tag it prints when the element has element children.
    std::ostringstream tag;
    PrintXml(tag, frame_, depth_);
    std::string text = std::move(tag).str();
    constexpr std::string_view kEmptyEnd = " />\n";
    if (text.size() >= kEmptyEnd.size() &&
        text.compare(text.size() - kEmptyEnd.size(), kEmptyEnd.size(), kEmptyEnd) == 0)
      text.replace(text.size() - kEmptyEnd.size(), kEmptyEnd.size(), ">\n");
    out_ << text;
    open_ = true;
  }
}

void StreamedElement::Close() {
  if (closed_) return;
  closed_ = true;
  if (!open_) {
    PrintXml(out_, frame_, depth_);
    return;
  }
  for (unsigned i = 0; i < depth_; ++i) out_ << kIndent;
  out_ << "</" << frame_.name() << ">\n";
}

std::string SaveXml(const pugi::xml_document& doc) {
  std::ostringstream out;
  doc.save(out, "  ", pugi::format_default, pugi::encoding_utf8);
  return out.str();
}

}  // namespace fleetpatch::report
