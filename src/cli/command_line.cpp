#include "cli/command_line.hpp"

#include <charconv>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "config/settings.hpp"

namespace sandboxctl::cli {
namespace {

// The environment is read in one place, config::resolve; the help text still
// names the variable next to the option it stands in for, as CLI11 would.
class Formatter : public CLI::Formatter {
public:
    Formatter() {
#if CLI11_VERSION_MAJOR > 2 || (CLI11_VERSION_MAJOR == 2 && CLI11_VERSION_MINOR >= 5)
        // CLI11 2.5 rewraps descriptions and footers as paragraphs; ours are
        // laid out by hand (the exit code table, the examples).
        enable_description_formatting(false);
        enable_footer_formatting(false);
#endif
    }

    std::string make_option_opts(const CLI::Option* option) const override {
        std::string out = CLI::Formatter::make_option_opts(option);
        for (const auto& variable : config::environment_variables()) {
            if (option->check_name(variable.option)) out += fmt::format(" (Env:{})", variable.name);
        }
        return out;
    }
};

}  // namespace

Option& Option::type_name(const std::string& name) {
    option_->type_name(name);
    return *this;
}

Option& Option::required() {
    option_->required();
    return *this;
}

Option& Option::value_optional() {
    option_->expected(0, 1);
    return *this;
}

Option& Option::excludes(const Option& other) {
    option_->excludes(other.option_);
    return *this;
}

Command Command::subcommand(const std::string& name, const std::string& description) {
    return Command(app_->add_subcommand(name, description));
}

void Command::footer(const std::string& text) { app_->footer(text); }

void Command::require_subcommand() { app_->require_subcommand(1); }

void Command::hide() { app_->group(""); }

Option Command::option(const std::string& names, std::string& into, const std::string& description) {
    return Option(app_->add_option(names, into, description));
}

Option Command::option(const std::string& names, std::optional<std::string>& into, const std::string& description) {
    return Option(app_->add_option(names, into, description));
}

// Decimal only: CLI11 reads integers as C does, "010" as 8 and "0x10" as 16,
// and "--sandboxes 010" would then make eight databases. The value is
// checked and rewritten ("010" to "10") before CLI11 converts it.
Option Command::option(const std::string& names, std::optional<int>& into, const std::string& description) {
    CLI::Validator decimal(
        [](std::string& text) -> std::string {
            int value = 0;
            const char* end = text.data() + text.size();
            auto [stop, error] = std::from_chars(text.data(), end, value);
            if (error == std::errc::result_out_of_range) return "\"" + text + "\" is out of range";
            if (error != std::errc() || stop != end) return "\"" + text + "\" is not a decimal number";
            text = std::to_string(value);
            return {};
        },
        "", "decimal");
    return Option(app_->add_option(names, into, description)->transform(decimal)->type_name("N"));
}

Option Command::option(const std::string& names, std::vector<std::string>& into, const std::string& description) {
    return Option(app_->add_option(names, into, description));
}

Option Command::flag(const std::string& names, bool& into, const std::string& description) {
    return Option(app_->add_flag(names, into, description));
}

void Command::on_chosen(std::function<void()> callback) { app_->callback(std::move(callback)); }

Parser::Parser(const std::string& description, const std::string& footer, const std::string& version)
    : app_(std::make_unique<CLI::App>(description, "sandboxctl")) {
    app_->footer(footer);
    app_->require_subcommand(1);
    app_->set_version_flag("--version", version);
    app_->formatter(std::make_shared<Formatter>());  // before the subcommands, which copy it
    // Global options are accepted after the subcommand too.
    app_->fallthrough();
}

Parser::~Parser() = default;

Command Parser::root() { return Command(app_.get()); }

std::optional<int> Parser::parse(int argc, char** argv) {
    try {
        app_->parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app_->exit(e);
    }
    return std::nullopt;
}

}  // namespace sandboxctl::cli
