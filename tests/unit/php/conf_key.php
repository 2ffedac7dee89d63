<?php
// Includes the conf.php named by the argument and prints, in base64, the id
// Dolibarr 23 derives from it (master.inc.php: $conf->file->instance_unique_id),
// or "NONE": test_dolcrypt.cpp checks conf_php.cpp's reading against PHP's own.
ob_start();  // inline text of the file (outside the PHP tags) is not part of the answer
include $argv[1];
ob_end_clean();
$id = empty($dolibarr_main_instance_unique_id) ? (empty($dolibarr_main_cookie_cryptkey) ? '' : $dolibarr_main_cookie_cryptkey) : $dolibarr_main_instance_unique_id;
echo $id === '' ? 'NONE' : base64_encode($id);
