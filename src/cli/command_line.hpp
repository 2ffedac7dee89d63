#pragma once
// The command-line parser, behind an interface of sandboxctl's own. CLI11 is
// header-only: every file that includes it compiles its templates again
// (with GCC -O2, about ten seconds and 130 kB of code per command file), so
// only cli/command_line.cpp does. The commands declare their subcommands and
// options through Command and Option.
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace CLI {
class App;
class Option;
}  // namespace CLI

namespace sandboxctl::cli {

// An option just declared; its setters return it, to chain them.
class Option {
public:
    explicit Option(CLI::Option* option) : option_(option) {}
    // The placeholder the help shows for the value (FILE, DIR, DURATION ...).
    Option& type_name(const std::string& name);
    Option& required();
    // Given bare (--init) or with a value (--init=NAME).
    Option& value_optional();
    // Refused together with `other`.
    Option& excludes(const Option& other);

private:
    CLI::Option* option_;
};

// A command or subcommand: what it is called, its options, what runs when it
// is chosen. Holds no state of its own; the parser owns the commands.
class Command {
public:
    explicit Command(CLI::App* app) : app_(app) {}
    Command subcommand(const std::string& name, const std::string& description);
    // Text shown after the options in --help (what the command does, examples).
    void footer(const std::string& text);
    // Exactly one subcommand must be given.
    void require_subcommand();
    // Left out of --help and the man page: a command sandboxctl runs itself.
    void hide();
    // An option (NAMES "-c,--config"), or a positional argument (NAMES "NAME").
    Option option(const std::string& names, std::string& into, const std::string& description);
    Option option(const std::string& names, std::optional<std::string>& into, const std::string& description);
    Option option(const std::string& names, std::optional<int>& into, const std::string& description);
    // Repeatable: each occurrence adds a value.
    Option option(const std::string& names, std::vector<std::string>& into, const std::string& description);
    Option flag(const std::string& names, bool& into, const std::string& description);
    // Called once parsing chose this command, after its options are set.
    void on_chosen(std::function<void()> callback);

private:
    CLI::App* app_;
};

// The whole command line: the program's root command and the parse.
class Parser {
public:
    Parser(const std::string& description, const std::string& footer, const std::string& version);
    ~Parser();
    Parser(const Parser&) = delete;
    Parser& operator=(const Parser&) = delete;

    // The program itself: its global options and its commands.
    Command root();
    // Parses the command line and sets every chosen option and command.
    // --help and --version are printed and end the run with 0; a usage
    // error is printed and ends it with a non-zero code: both returned here.
    // No value: go on and run the chosen command.
    std::optional<int> parse(int argc, char** argv);

private:
    std::unique_ptr<CLI::App> app_;
};

}  // namespace sandboxctl::cli
