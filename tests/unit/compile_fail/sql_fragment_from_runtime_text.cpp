// Must not compile (ctest sql_fragment_refuses_runtime_text): a Fragment is
// made from a string literal at compile time, not from text of the run, even
// text kept in a static array.
#include <cstring>

#include "pg/sql.hpp"

sandboxctl::sql::Fragment condition_from(const char* text) {
    static char copied[64];
    std::strncpy(copied, text, sizeof copied - 1);
    return sandboxctl::sql::Fragment(copied);
}
