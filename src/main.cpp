#include "cli/commands.hpp"

int main(int argc, char** argv) { return sandboxctl::cli::run(argc, argv); }
