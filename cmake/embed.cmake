# fp_embed(TARGET SYMBOL FILE): compiles FILE's bytes into TARGET as
#   extern const char fleetpatch::embedded::SYMBOL[];  (NUL-terminated)
# so the shipped binary carries data (scripts, models) without reading the source tree at run time.
function(fp_embed target symbol file)
  set(src "${CMAKE_SOURCE_DIR}/${file}")
  set(out "${CMAKE_BINARY_DIR}/embedded/${symbol}.cc")
  add_custom_command(
    OUTPUT "${out}"
    COMMAND ${CMAKE_COMMAND} -DIN=${src} -DOUT=${out} -DSYMBOL=${symbol} -P ${CMAKE_SOURCE_DIR}/cmake/embed_file.cmake
    DEPENDS "${src}" "${CMAKE_SOURCE_DIR}/cmake/embed_file.cmake"
    COMMENT "Embedding ${file}")
  target_sources(${target} PRIVATE "${out}")
endfunction()
