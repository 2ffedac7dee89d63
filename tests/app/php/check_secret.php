<?php
// Whether llx_const APP_CONST_NAME, as stored, is dolcrypt-encrypted and
// decrypts with THIS instance's id to APP_EXPECTED. Prints a verdict, never
// the value: "decrypts", "not-encrypted", "absent" or "differs".
require __DIR__.'/bootstrap.inc.php';
$name = app_env('APP_CONST_NAME');
$resql = $db->query("SELECT value FROM ".MAIN_DB_PREFIX."const WHERE name = '".$db->escape($name)."' AND entity IN (0, ".((int) $conf->entity).") AND value <> '' ORDER BY entity DESC");
$row = $resql ? $db->fetch_object($resql) : null;
if (!$row) {
	print "absent\n";
} elseif (strpos($row->value, 'dolcrypt:') !== 0) {
	print "not-encrypted\n";
} else {
	print (dolDecrypt($row->value) === app_env('APP_EXPECTED') ? "decrypts" : "differs")."\n";
}
