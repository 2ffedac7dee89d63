<?php
// Runs Dolibarr's own dolEncrypt/dolDecrypt (htdocs/core/lib/security.lib.php)
// for test_dolcrypt.cpp. The request is read from the 0600 file named by the
// one argument, so the key never reaches argv: JSON {"htdocs": DIR, "key": B64, "forceseed": TEXT, "encrypt": [B64...],
// "decrypt": [TEXT...]}; the answer is JSON {"encrypted": [TEXT...],
// "decrypted": [B64...]}. Values travel in base64 because they may be any bytes.
$request = json_decode(file_get_contents($argv[1]), true, 512, JSON_THROW_ON_ERROR);
require_once $request['htdocs'].'/core/lib/functions.lib.php';
require_once $request['htdocs'].'/core/lib/security.lib.php';

// What master.inc.php sets up for dolEncrypt/dolDecrypt.
$conf = new stdClass();
$conf->file = new stdClass();
$conf->file->instance_unique_id = base64_decode($request['key'], true);

$answer = array('encrypted' => array(), 'decrypted' => array());
foreach ($request['encrypt'] as $plain) {
	$answer['encrypted'][] = dolEncrypt(base64_decode($plain, true), '', '', $request['forceseed']);
}
foreach ($request['decrypt'] as $stored) {
	$answer['decrypted'][] = base64_encode((string) dolDecrypt($stored));
}
echo json_encode($answer, JSON_THROW_ON_ERROR);
