#pragma once
// The order `lease` tries the members in. Concurrent callers draw orders of
// their own, so that they seldom connect to the same member at once (a
// caller that loses a member to another has paid a session for nothing).
// Once connected to a member that was not free, a caller sees which
// databases of that server have sessions: a free member has none (its
// release ended them, and nothing else connects to it), while a leased one
// usually has its agent's and one being claimed has its claimer's. The
// members still to try that have none go first.
#include <cstddef>
#include <vector>

#include "pg/connection.hpp"
#include "pool/member.hpp"

namespace sandboxctl::pool {

class MemberOrder {
public:
    explicit MemberOrder(const std::vector<Member>& members);

    // The next member to try; nullptr once every member was.
    const Member* next();
    // After `connected` (the member last given by next()) was not free: the
    // members still to try on its server whose databases `conn` sees no
    // session in move ahead, in the order they had.
    void put_idle_first(pg::Connection& conn, const Member& connected);

private:
    const std::vector<Member>& members_;
    std::vector<std::size_t> order_;
    std::size_t tried_ = 0;
};

}  // namespace sandboxctl::pool
