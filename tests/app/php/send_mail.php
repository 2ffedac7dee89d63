<?php
// Sends one mail through Dolibarr's CMailFile, as any module does, to
// APP_MAIL_TO with a copy to APP_MAIL_CC. Prints "sent" or "not sent: why".
require __DIR__.'/bootstrap.inc.php';
require_once DOL_DOCUMENT_ROOT.'/core/class/CMailFile.class.php';
$mail = new CMailFile('Your invoice', app_env('APP_MAIL_TO'), getDolGlobalString('MAIN_MAIL_EMAIL_FROM', 'erp@example.test'),
	'Please find your invoice attached.', array(), array(), array(), app_env('APP_MAIL_CC'));
if ($mail->error) {
	print "not sent: ".$mail->error."\n";
} else {
	print ($mail->sendfile() ? "sent" : "not sent: ".$mail->error)."\n";
}
