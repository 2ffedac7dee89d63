#pragma once
// A streaming decoder for PostgreSQL's COPY text format (the default format
// of COPY ... TO STDOUT): rows end with a newline, fields are separated by a
// tab, \N is NULL, and a backslash escapes \b \f \n \r \t \v \\, an octal
// byte (\1 to \377) or a hex byte (\x1 to \xff); any other escaped character
// stands for itself. Input may arrive in chunks cut anywhere. Used to check
// that a snapshot's data file decodes to the rows its manifest promises, and
// by masking to rewrite single fields of streamed rows.
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sandboxctl::pg {

using CopyField = std::optional<std::string>;  // nullopt: NULL
using CopyRow = std::vector<CopyField>;

class CopyTextDecoder {
public:
    // `on_row` receives every complete row; it may throw to stop.
    explicit CopyTextDecoder(std::function<void(const CopyRow&)> on_row) : on_row_(std::move(on_row)) {}

    void feed(std::string_view chunk);
    // The input ended: throws if it stopped inside a row or an escape.
    void finish();

    long long rows() const { return rows_; }

private:
    void end_field();
    void end_row();
    [[noreturn]] void fail(const std::string& what) const;

    std::function<void(const CopyRow&)> on_row_;
    CopyRow row_;
    std::string field_;
    bool field_escaped_ = false;  // a backslash sequence occurred in this field
    bool field_is_null_marker_ = false;
    enum class State { plain, backslash, octal, hex } state_ = State::plain;
    int digits_ = 0;
    unsigned value_ = 0;
    long long rows_ = 0;
    bool at_row_start_ = true;
};

// One field of a row as COPY text writes it ("\\N", or the text with its
// backslash escapes), and back: what a transformation of single fields in
// a streamed row needs.
CopyField decode_copy_text_field(std::string_view raw);
// The raw fields of one COPY text row (its newline, if any, left out):
// a tab never occurs inside a raw field. `fields` is reused.
void split_copy_text_row(std::string_view row, std::vector<std::string_view>& fields);
void append_copy_text_field(std::string& out, const CopyField& value);

}  // namespace sandboxctl::pg
