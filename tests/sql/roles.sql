-- The privilege model of the reference deployment, cluster-wide part.
-- Run as superuser; idempotent.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'sbx_app') THEN
    CREATE ROLE sbx_app NOLOGIN;                          -- owns prod (like erp_role)
    CREATE ROLE sbx_dump LOGIN PASSWORD 'dump-Secret-7f3a' IN ROLE sbx_app;  -- read-only dump login
    ALTER ROLE sbx_dump SET default_transaction_read_only = on;
    CREATE ROLE sbx_provisioner NOLOGIN;                  -- owns pgbouncer's user_lookup
    CREATE ROLE sbx_sandbox_owner NOLOGIN NOCREATEDB NOSUPERUSER;  -- owns the sandbox (erp_sandbox_role)
    CREATE ROLE sbx_sandbox_login LOGIN PASSWORD 'sandbox-Secret-91c2' IN ROLE sbx_sandbox_owner;
    CREATE ROLE sbx_superuser LOGIN SUPERUSER PASSWORD 'super-Secret-55e1';
  END IF;
END
$$;
