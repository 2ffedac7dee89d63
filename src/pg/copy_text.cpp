#include "pg/copy_text.hpp"

#include "core/error.hpp"

namespace sandboxctl::pg {
namespace {

bool is_octal(char c) { return c >= '0' && c <= '7'; }

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

char simple_escape(char c) {
    switch (c) {
        case 'b': return '\b';
        case 'f': return '\f';
        case 'n': return '\n';
        case 'r': return '\r';
        case 't': return '\t';
        case 'v': return '\v';
        default: return c;  // "\\" and any other character stand for themselves
    }
}

}  // namespace

void CopyTextDecoder::fail(const std::string& what) const {
    throw failure("invalid COPY data at row " + std::to_string(rows_ + 1) + ", field " +
                  std::to_string(row_.size() + 1) + ": " + what);
}

void CopyTextDecoder::end_field() {
    // A field whose raw text is exactly \N is NULL; "\\N" and "\Nx" are text.
    if (field_is_null_marker_)
        row_.emplace_back(std::nullopt);
    else
        row_.emplace_back(std::move(field_));
    field_.clear();
    field_escaped_ = false;
    field_is_null_marker_ = false;
}

void CopyTextDecoder::end_row() {
    end_field();
    on_row_(row_);
    row_.clear();
    ++rows_;
    at_row_start_ = true;
}

void CopyTextDecoder::feed(std::string_view chunk) {
    for (char c : chunk) {
        at_row_start_ = false;
        if (state_ == State::octal) {
            if (is_octal(c) && digits_ < 3) {
                value_ = value_ * 8 + static_cast<unsigned>(c - '0');
                if (++digits_ < 3) continue;
                field_ += static_cast<char>(value_ & 0xff);
                state_ = State::plain;
                continue;
            }
            field_ += static_cast<char>(value_ & 0xff);
            state_ = State::plain;
        } else if (state_ == State::hex) {
            int v = hex_value(c);
            if (v >= 0 && digits_ < 2) {
                value_ = value_ * 16 + static_cast<unsigned>(v);
                if (++digits_ < 2) continue;
                field_ += static_cast<char>(value_);
                state_ = State::plain;
                continue;
            }
            if (digits_ == 0) {
                field_ += 'x';  // "\x" without a hex digit is a plain x
            } else {
                field_ += static_cast<char>(value_);
            }
            state_ = State::plain;
        } else if (state_ == State::backslash) {
            state_ = State::plain;
            bool first = field_.empty() && !field_escaped_;
            field_escaped_ = true;
            field_is_null_marker_ = first && c == 'N';
            if (c == '\n' || c == '\r') fail("a backslash before the end of the row");
            if (is_octal(c)) {
                state_ = State::octal;
                digits_ = 1;
                value_ = static_cast<unsigned>(c - '0');
                continue;
            }
            if (c == 'x') {
                state_ = State::hex;
                digits_ = 0;
                value_ = 0;
                continue;
            }
            field_ += simple_escape(c);
            continue;
        }
        // Plain state (possibly just after a finished octal or hex escape).
        if (c == '\\') {
            state_ = State::backslash;
        } else if (c == '\t') {
            end_field();
        } else if (c == '\n') {
            end_row();
        } else if (c == '\r') {
            fail("a carriage return in the data (COPY escapes it as \\r)");
        } else {
            field_is_null_marker_ = false;
            field_ += c;
        }
    }
}

void CopyTextDecoder::finish() {
    if (state_ != State::plain || !at_row_start_ || !field_.empty() || !row_.empty() || field_is_null_marker_) {
        fail("the data ends inside a row");
    }
}

CopyField decode_copy_text_field(std::string_view raw) {
    if (raw.find('\\') == std::string_view::npos) return std::string(raw);
    if (raw == "\\N") return std::nullopt;
    CopyField field;
    CopyTextDecoder decoder([&](const CopyRow& row) {
        if (row.size() != 1) throw failure("invalid COPY data: a field holds a field separator");
        field = row.front();
    });
    decoder.feed(raw);
    decoder.feed("\n");
    decoder.finish();
    return field;
}

void split_copy_text_row(std::string_view row, std::vector<std::string_view>& fields) {
    fields.clear();
    if (!row.empty() && row.back() == '\n') row.remove_suffix(1);
    for (std::size_t start = 0;;) {
        auto tab = row.find('\t', start);
        fields.push_back(row.substr(start, tab == std::string_view::npos ? tab : tab - start));
        if (tab == std::string_view::npos) return;
        start = tab + 1;
    }
}

void append_copy_text_field(std::string& out, const CopyField& value) {
    if (!value) {
        out += "\\N";
        return;
    }
    for (char c : *value) {
        switch (c) {
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            default: out += c;
        }
    }
}

}  // namespace sandboxctl::pg
