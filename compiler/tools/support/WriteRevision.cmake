# Writes HeedRevision.h with the source tree's git revision (`cmake -DSOURCE_DIR=... -DOUTPUT=... -P`).
# Run at every build; the header is rewritten only when the revision changed, so nothing relinks
# otherwise. A tree without git (a release tarball) says "unknown".
execute_process(COMMAND git -C "${SOURCE_DIR}" describe --always --dirty --abbrev=12
                OUTPUT_VARIABLE revision OUTPUT_STRIP_TRAILING_WHITESPACE
                RESULT_VARIABLE status ERROR_QUIET)
if(NOT status EQUAL 0 OR revision STREQUAL "")
  set(revision "unknown")
endif()
file(WRITE "${OUTPUT}.tmp" "#define HEED_GIT_REVISION \"${revision}\"\n")
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUTPUT}.tmp")
