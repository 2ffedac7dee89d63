<?php
// Sets one llx_const value through Dolibarr (names ending in _KEY, _PW, ...
// are encrypted with this instance's id): APP_CONST_NAME, APP_CONST_VALUE.
require __DIR__.'/bootstrap.inc.php';
$result = dolibarr_set_const($db, app_env('APP_CONST_NAME'), app_env('APP_CONST_VALUE'), 'chaine', 0, '', $conf->entity);
app_check($result > 0, 'set '.app_env('APP_CONST_NAME'));
