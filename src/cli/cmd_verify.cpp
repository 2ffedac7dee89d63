#include <iostream>

#include "cli/commands.hpp"
#include "output/json_file.hpp"
#include "verify/verify.hpp"

namespace sandboxctl::cli {

void add_verify_command(CLI::App& app, Context& context) {
    auto* command = app.add_subcommand(
        "verify", "Compare source (at one snapshot) and sandbox: row counts, content hashes, sequences");
    command->footer(R"(
Exits 4 when any difference is found, 0 when none. Tables whose data is excluded are listed
as not compared. Hashes are order-independent sums of each row's md5, computed by the servers.)");
    add_source_options(*command, context);
    add_target_options(*command, context);
    add_selection_options(*command, context);
    add_target_role_option(*command, context);
    add_json_option(*command, context);
    command->callback([&context] {
        context.action = [&context] {
            auto result = verify::run_verify(config::resolve(context.overrides));
            verify::print_text(result, std::cout);
            if (!context.json_path.empty()) output::write_json_file(verify::to_json(result), context.json_path);
            return result.differences.empty() ? ExitCode::ok : ExitCode::differences;
        };
    });
}

}  // namespace sandboxctl::cli
