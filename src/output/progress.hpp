#pragma once
// A one-line progress display for the data copy (tables, rows, bytes, ETA),
// redrawn at most a few times a second. It only draws when stderr is a
// terminal and the log level is normal or verbose; otherwise it is silent.
#include <chrono>
#include <string>

namespace sandboxctl::output {

class Progress {
public:
    Progress(int tables, long long estimated_bytes);
    ~Progress();
    Progress(const Progress&) = delete;
    Progress& operator=(const Progress&) = delete;

    void table_started(const std::string& name);
    // Called during a table's copy with that table's running totals.
    void update(long long table_rows, long long table_bytes);
    void table_finished(long long rows, long long bytes);

private:
    void draw(bool force);

    bool enabled_;
    int tables_;
    int done_ = 0;
    long long estimated_bytes_;
    long long rows_ = 0, bytes_ = 0;
    long long table_rows_ = 0, table_bytes_ = 0;
    std::string current_;
    std::chrono::steady_clock::time_point start_, last_draw_;
};

}  // namespace sandboxctl::output
