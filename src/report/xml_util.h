// pugixml helpers for the XML and JUnit writers: attributes and text that are always XML 1.0-safe,
// and StreamedElement, which writes a document piece by piece (each piece a small pugixml tree,
// printed exactly as pugixml prints it inside the whole document) so that no writer ever holds
// the whole document. Internal to src/report. Thread-safety: pure functions on the node passed in;
// a StreamedElement belongs to one writer.
#pragma once

#include <cstdint>
#include <ostream>
#include <pugixml.hpp>
#include <string>
#include <string_view>

namespace fleetpatch::report {

void SetAttr(pugi::xml_node node, const char* name, std::string_view value);
void SetAttr(pugi::xml_node node, const char* name, int64_t value);
void SetAttr(pugi::xml_node node, const char* name, double value);
void SetBoolAttr(pugi::xml_node node, const char* name, bool value);
// Appends <name>text</name> and returns it.
pugi::xml_node AddText(pugi::xml_node parent, const char* name, std::string_view text);
// The document as UTF-8 text with an XML declaration, indented by two spaces.
std::string SaveXml(const pugi::xml_document& doc);

// The XML declaration SaveXml writes, for streamed documents.
inline constexpr const char* kXmlDeclaration = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";

// `node` and its subtree as SaveXml prints them at nesting depth `depth` (two spaces per level).
void PrintXml(std::ostream& out, pugi::xml_node node, unsigned depth);

// An element whose children are printed one at a time. Prints exactly what SaveXml prints for the
// element with all those children: the start tag before the first child, the end tag on Close(),
// or the empty-element form when no child came.
class StreamedElement {
 public:
  // `name`'s attributes are set on attributes() before the first Child().
  StreamedElement(std::ostream& out, const char* name, unsigned depth);
  pugi::xml_node attributes() { return frame_; }
  // Prints the start tag now (for children written to the stream by another StreamedElement).
  void Open();
  // Prints `child` (usually the only element of a small document) as the next child.
  void Child(pugi::xml_node child);
  void Close();

 private:
  std::ostream& out_;
  pugi::xml_document doc_;
  pugi::xml_node frame_;
  unsigned depth_;
  bool open_ = false;
  bool closed_ = false;
};

}  // namespace fleetpatch::report
