/* bench/lib/session_floor.c: the least a process that opens a PostgreSQL
 * session pays (bench/pool times 8 of them at once beside `lease`): start,
 * connect with the conninfo given (libpq, its password file and all),
 * SELECT 1, exit. Exit 1, with libpq's message, when that fails. */
#include <libpq-fe.h>
#include <stdio.h>

int main(int argc, char** argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: session_floor CONNINFO\n");
        return 2;
    }
    PGconn* conn = PQconnectdb(argv[1]);
    int ok = PQstatus(conn) == CONNECTION_OK;
    if (ok) {
        PGresult* result = PQexec(conn, "SELECT 1");
        ok = PQresultStatus(result) == PGRES_TUPLES_OK;
        PQclear(result);
    }
    if (!ok) fprintf(stderr, "session_floor: %s", PQerrorMessage(conn));
    PQfinish(conn);
    return ok ? 0 : 1;
}
