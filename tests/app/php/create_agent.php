<?php
// Creates the AI agent's user in this instance: rights on third parties and
// invoices, and an API key (APP_AGENT_LOGIN, APP_AGENT_KEY).
require __DIR__.'/bootstrap.inc.php';
print app_create_api_user(app_env('APP_AGENT_LOGIN'), app_env('APP_AGENT_KEY'), array('societe', 'facture'))."\n";
