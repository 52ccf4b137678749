# fp_embed(TARGET SYMBOL FILE NAMESPACE): compiles FILE's bytes into TARGET as
#   extern const unsigned char NAMESPACE::SYMBOL[];  (NUL-terminated)
#   extern const std::size_t NAMESPACE::SYMBOL_size;  (without the NUL)
# so the shipped binary carries data (scripts, models) without reading the source tree at run time.
function(fp_embed target symbol file namespace)
  set(src "${CMAKE_SOURCE_DIR}/${file}")
  set(out "${CMAKE_BINARY_DIR}/generated/${symbol}.cc")
  add_custom_command(
    OUTPUT "${out}"
    COMMAND ${CMAKE_COMMAND} -DINPUT=${src} -DOUTPUT=${out} -DSYMBOL=${symbol} -DNAMESPACE=${namespace}
            -P ${CMAKE_SOURCE_DIR}/cmake/embed_file.cmake
    DEPENDS "${src}" "${CMAKE_SOURCE_DIR}/cmake/embed_file.cmake"
    COMMENT "Embedding ${file}")
  target_sources(${target} PRIVATE "${out}")
endfunction()
