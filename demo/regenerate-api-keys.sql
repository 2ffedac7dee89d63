-- Post-refresh SQL: API keys encrypted with prod's instance id cannot be
-- decrypted in the sandbox; give the sandbox its own key for the agent.
UPDATE llx_user SET api_key = NULL WHERE api_key LIKE 'dolcrypt:%';
UPDATE llx_user SET api_key = md5(random()::text) WHERE login = 'ai_agent';
