#include "cli/report_output.hpp"

#include <iostream>

#include "output/json_file.hpp"

namespace sandboxctl::cli {

ReportOutput::ReportOutput(const std::string& json_path) : json_path_(json_path) {}

std::ostream& ReportOutput::text() const { return json_path_ == "-" ? std::cerr : std::cout; }

void ReportOutput::write_json(const nlohmann::json& document) const {
    if (wants_json()) output::write_json_file(document, json_path_);
}

}  // namespace sandboxctl::cli
