// pugixml helpers for the XML and JUnit writers: attributes and text that are always XML 1.0-safe.
// Internal to src/report. Thread-safety: pure functions on the node passed in.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <pugixml.hpp>

namespace fleetpatch::report {

void SetAttr(pugi::xml_node node, const char* name, std::string_view value);
void SetAttr(pugi::xml_node node, const char* name, int64_t value);
void SetAttr(pugi::xml_node node, const char* name, double value);
void SetBoolAttr(pugi::xml_node node, const char* name, bool value);
// Appends <name>text</name> and returns it.
pugi::xml_node AddText(pugi::xml_node parent, const char* name, std::string_view text);
// The document as UTF-8 text with an XML declaration, indented by two spaces.
std::string SaveXml(const pugi::xml_document& doc);

}  // namespace fleetpatch::report
