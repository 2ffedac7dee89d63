<?php
// Loads the Dolibarr instance whose htdocs/ is the current directory (its
// conf/conf.php is found relative to it) from the command line, and logs in
// the first admin as $user. Test parameters come from the environment, never
// from the command line: some are secrets.
if (!defined('NOSESSION')) define('NOSESSION', '1');
if (!defined('NOLOGIN')) define('NOLOGIN', '1');
if (!defined('NOREQUIREMENU')) define('NOREQUIREMENU', '1');
if (!defined('NOREQUIREHTML')) define('NOREQUIREHTML', '1');
if (!defined('NOREQUIREAJAX')) define('NOREQUIREAJAX', '1');
if (php_sapi_name() !== 'cli') exit(1);

require getcwd().'/master.inc.php';
require_once DOL_DOCUMENT_ROOT.'/core/lib/admin.lib.php';
require_once DOL_DOCUMENT_ROOT.'/user/class/user.class.php';

$user = new User($db);
if ($user->fetch(0, 'admin') <= 0) {
	fwrite(STDERR, "could not fetch the admin user: ".$user->error."\n");
	exit(2);
}
$user->loadRights();

function app_env($name)
{
	$value = getenv($name);
	if ($value === false) {
		fwrite(STDERR, "missing environment variable ".$name."\n");
		exit(2);
	}
	return $value;
}

function app_check($ok, $what, $object = null)
{
	if ($ok) return;
	fwrite(STDERR, "could not ".$what.($object ? ": ".$object->error." ".implode('; ', (array) $object->errors) : "")."\n");
	exit(3);
}

// Creates a user with the given rights modules and a plain API key (Dolibarr
// stores it with dolcrypt's fixed IV under this instance's id).
function app_create_api_user($login, $api_key, $modules)
{
	global $db, $user;
	$agent = new User($db);
	$agent->login = $login;
	$agent->lastname = $login;
	$agent->email = $login.'@agents.test';
	$agent->admin = 0;
	app_check($agent->create($user) > 0, 'create user '.$login, $agent);
	$agent->api_key = $api_key;
	app_check($agent->update($user) > 0, 'set the API key of '.$login, $agent);
	foreach ($modules as $module) {
		app_check($agent->addrights(0, $module, '', 0, 1) >= 0, 'grant '.$module.' rights to '.$login, $agent);
	}
	return $agent->id;
}
