# Script mode: writes OUT, a C++ file defining fleetpatch::embedded::SYMBOL with the bytes of IN.
file(READ "${IN}" hex HEX)
string(LENGTH "${hex}" n)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "'\\\\x\\1'," bytes "${hex}")
file(WRITE "${OUT}" "// Generated from ${IN}; do not edit.\nnamespace fleetpatch::embedded {\nextern const char ${SYMBOL}[];\nconst char ${SYMBOL}[] = {${bytes}'\\0'};\n}\n")
