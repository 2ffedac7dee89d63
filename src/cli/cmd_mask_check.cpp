#include "cli/commands.hpp"
#include "cli/report_output.hpp"
#include "profiles/registry.hpp"
#include "verify/mask_check.hpp"

namespace sandboxctl::cli {
namespace {

struct MaskCheckOptions {
    config::Overrides settings;
    std::string json_path;
};

ExitCode run_mask_check(const Context& context, MaskCheckOptions& options) {
    ReportOutput output(options.json_path);
    auto settings = resolve_settings(context, options.settings);
    auto result = verify::run_mask_check(settings, profiles::configured_masking_rules(settings));
    verify::print_text(result, output.text());
    output.write_json(verify::to_json(result));
    return result.leaked() ? ExitCode::refused : ExitCode::ok;
}

}  // namespace

void register_mask_check(Command& app, Context& context) {
    auto options = std::make_shared<MaskCheckOptions>();
    auto command = app.subcommand("mask-check", "Prove that no prod value of a masked column is in the sandbox; "
                                                "read-only on both sides");
    command.footer(R"(
For each masked column (every transformer but keep) of the [masking] rules and the profiles'
masking policies, reads prod's values and the sandbox's, and compares them by their keyed hash
(HMAC under the masking key, in memory only): no value is printed. Rows a rule leaves as they
are (a profile's kept users) are left out on both sides; empty strings are not compared (they
stay empty). Also lists the text columns of masked tables that no rule covers.
Exits 0 when no prod value is found, 3 when one is, 2 without a rule or without the key file.)");
    add_copy_options(command, options->settings);
    add_json_option(command, options->json_path);
    on_chosen(command, context, options, run_mask_check);
}

}  // namespace sandboxctl::cli
