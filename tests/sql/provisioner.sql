-- Objects a provisioner owns inside prod: the dump login may not read them,
-- and a refresh must neither lock nor copy them.
GRANT CREATE ON SCHEMA public TO sbx_provisioner;
SET ROLE sbx_provisioner;
CREATE FUNCTION public.user_lookup(i_username text, OUT uname text, OUT phash text)
RETURNS record LANGUAGE sql SECURITY DEFINER
AS $$ SELECT i_username, 'not-a-hash' $$;
CREATE TABLE public.provisioner_secrets (id int PRIMARY KEY, secret text);
INSERT INTO public.provisioner_secrets VALUES (1, 'do-not-copy');
REVOKE ALL ON public.provisioner_secrets FROM PUBLIC;
RESET ROLE;
