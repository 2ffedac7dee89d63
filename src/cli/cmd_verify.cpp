#include <iostream>

#include "cli/commands.hpp"
#include "cli/report_output.hpp"
#include "profiles/registry.hpp"
#include "verify/verify.hpp"

namespace sandboxctl::cli {
namespace {

struct VerifyOptions {
    config::Overrides settings;
    std::string json_path;
};

ExitCode run_verify(const Context& context, VerifyOptions& options) {
    ReportOutput output(options.json_path);
    auto settings = resolve_settings(context, options.settings);
    auto result = verify::run_verify(settings, profiles::configured_masking_rules(settings));
    verify::print_text(result, output.text());
    output.write_json(verify::to_json(result));
    return result.differences.empty() ? ExitCode::ok : ExitCode::differences;
}

}  // namespace

void register_verify(Command& app, Context& context) {
    auto options = std::make_shared<VerifyOptions>();
    auto command =
        app.subcommand("verify", "Compare source (at one snapshot) and sandbox: row counts, content hashes, sequences");
    command.footer(R"(
Exits 4 when any difference is found, 0 when none. Tables whose data is excluded are listed
as not compared. Hashes are order-independent sums of each row's md5, computed by the servers;
a masked table ([masking], a profile's masking policy) is compared with prod's rows masked by
the same rules and key, both sides hashed here, so a correctly masked sandbox verifies.)");
    add_copy_options(command, options->settings);
    add_json_option(command, options->json_path);
    on_chosen(command, context, options, run_verify);
}

}  // namespace sandboxctl::cli
