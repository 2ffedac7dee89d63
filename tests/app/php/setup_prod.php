<?php
// Turns a freshly installed Dolibarr into the "prod" of the scenario: a
// company with a logo, customers with email addresses, validated invoices,
// the REST API, an agent user with an API key, SMTP pointing at the test's
// sink with an encrypted password, an enabled reminder job, a webhook target,
// notifications of validated invoices, and live Stripe.
require __DIR__.'/bootstrap.inc.php';
require_once DOL_DOCUMENT_ROOT.'/societe/class/societe.class.php';
require_once DOL_DOCUMENT_ROOT.'/compta/facture/class/facture.class.php';
require_once DOL_DOCUMENT_ROOT.'/core/lib/images.lib.php';
require_once DOL_DOCUMENT_ROOT.'/cron/class/cronjob.class.php';
require_once DOL_DOCUMENT_ROOT.'/webhook/class/target.class.php';

foreach (array('modSociete', 'modFacture', 'modApi', 'modCron', 'modNotification', 'modStripe') as $module) {
	$result = activateModule($module);
	app_check(empty($result['errors']), 'activate '.$module.': '.implode('; ', (array) $result['errors']));
}
// Modules' constants are loaded at startup: read them again.
$conf->setValues($db);

$company = app_env('APP_COMPANY');
dolibarr_set_const($db, 'MAIN_INFO_SOCIETE_NOM', $company, 'chaine', 0, '', $conf->entity);
// The login page greets with the company's name (Setup > Display).
dolibarr_set_const($db, 'MAIN_HOME', 'Welcome to the ERP of __MYCOMPANY_NAME__', 'chaine', 0, '', $conf->entity);
dolibarr_set_const($db, 'MAIN_INFO_SOCIETE_COUNTRY', '1:FR:France', 'chaine', 0, '', $conf->entity);
dolibarr_set_const($db, 'MAIN_INFO_SOCIETE_MAIL', 'office@prod-company.example', 'chaine', 0, '', $conf->entity);

// The logo as the setup page stores it: the file, a small and a mini thumbnail.
$logos = $conf->mycompany->dir_output.'/logos';
dol_mkdir($logos);
$image = imagecreatetruecolor(240, 120);
imagefill($image, 0, 0, imagecolorallocate($image, 30, 90, 200));
app_check(imagepng($image, $logos.'/logo.png'), 'write the logo');
$small = vignette($logos.'/logo.png', 160, 120, '_small', 50, 'thumbs');
$mini = vignette($logos.'/logo.png', 32, 32, '_mini', 50, 'thumbs');
app_check(is_string($small) && is_string($mini), 'make the logo thumbnails');
dolibarr_set_const($db, 'MAIN_INFO_SOCIETE_LOGO', 'logo.png', 'chaine', 0, '', $conf->entity);
dolibarr_set_const($db, 'MAIN_INFO_SOCIETE_LOGO_SMALL', basename($small), 'chaine', 0, '', $conf->entity);
dolibarr_set_const($db, 'MAIN_INFO_SOCIETE_LOGO_MINI', basename($mini), 'chaine', 0, '', $conf->entity);

// Mail goes to the test's SMTP sink, through an authenticated SMTP account
// whose password Dolibarr encrypts (a *_PW name) with prod's instance id.
dolibarr_set_const($db, 'MAIN_MAIL_SENDMODE', 'smtps', 'chaine', 0, '', $conf->entity);
dolibarr_set_const($db, 'MAIN_MAIL_SMTP_SERVER', 'localhost', 'chaine', 0, '', $conf->entity);
dolibarr_set_const($db, 'MAIN_MAIL_SMTP_PORT', app_env('APP_SMTP_PORT'), 'chaine', 0, '', $conf->entity);
dolibarr_set_const($db, 'MAIN_MAIL_SMTPS_ID', 'prod-mailer', 'chaine', 0, '', $conf->entity);
dolibarr_set_const($db, 'MAIN_MAIL_SMTPS_PW', app_env('APP_SMTP_PASSWORD'), 'chaine', 0, '', $conf->entity);
dolibarr_set_const($db, 'MAIN_MAIL_EMAIL_FROM', 'billing@prod-company.example', 'chaine', 0, '', $conf->entity);
dolibarr_set_const($db, 'MAIN_MAIL_EMAIL_TLS', '0', 'chaine', 0, '', $conf->entity);
dolibarr_set_const($db, 'MAIN_MAIL_EMAIL_STARTTLS', '0', 'chaine', 0, '', $conf->entity);
dolibarr_set_const($db, 'CRON_KEY', app_env('APP_CRON_KEY'), 'chaine', 0, '', $conf->entity);
dolibarr_set_const($db, 'STRIPE_LIVE', '1', 'chaine', 0, '', $conf->entity);
// Every validated invoice is notified to the customer's accounting mailbox.
dolibarr_set_const($db, 'NOTIFICATION_FIXEDEMAIL_BILL_VALIDATE_THRESHOLD_HIGHER_0', 'notify@customer-one.example', 'chaine', 0, '', $conf->entity);

// Customers with email addresses and their invoices: validated ones whose
// due date makes the reminder job mail them today, and a draft to validate.
$due = dol_get_first_hour(dol_time_plus_duree(dol_now(), 10, 'd'), 'gmt');
$customers = array();
foreach (array('one', 'two') as $n => $name) {
	$customer = new Societe($db);
	$customer->name = 'Customer '.ucfirst($name);
	$customer->email = 'accounts@customer-'.$name.'.example';
	$customer->client = 1;
	$customer->code_client = -1;  // the numbering module's next code
	$customer->country_id = 1;
	app_check($customer->create($user) > 0, 'create customer '.$name, $customer);
	$customers[] = $customer->id;
	foreach (array(true, false) as $validate) {
		$invoice = new Facture($db);
		$invoice->socid = $customer->id;
		$invoice->type = Facture::TYPE_STANDARD;
		$invoice->date = dol_now();
		app_check($invoice->create($user) > 0, 'create an invoice', $invoice);
		app_check($invoice->addline('Consulting', 100 * ($n + 1), 1, 20) > 0, 'add an invoice line', $invoice);
		if ($validate) {
			app_check($invoice->validate($user, '', 0, 1) > 0, 'validate an invoice', $invoice);
			$db->query("UPDATE ".MAIN_DB_PREFIX."facture SET date_lim_reglement = '".$db->idate($due, 'gmt')."' WHERE rowid = ".((int) $invoice->id));
		}
	}
}

app_create_api_user(app_env('APP_AGENT_LOGIN'), app_env('APP_AGENT_KEY'), array('societe', 'facture'));

// The reminder job mails customers whose invoice is due in 10 days.
$job = new Cronjob($db);
$jobs = $db->query("SELECT rowid FROM ".MAIN_DB_PREFIX."cronjob WHERE methodename = 'sendEmailsRemindersOnInvoiceDueDate'");
$row = $db->fetch_object($jobs);
app_check($row && $job->fetch($row->rowid) > 0, 'find the invoice reminder job', $job);
$job->params = '10,all,,duedate';
$job->datestart = dol_now() - 3600;
$job->datenextrun = dol_now() - 60;
$job->status = Cronjob::STATUS_ENABLED;
app_check($job->update($user) > 0, 'enable the invoice reminder job', $job);

// Last: with the webhook module on, Dolibarr 23's trigger closes the shared
// database connection after it runs (a second connection with the same
// parameters is the same PHP link), so nothing may follow in this process.
// The same bug stops the trigger chain of any action at its first nested
// trigger (the agenda event, ACTION_CREATE), so the partner listens to it.
$result = activateModule('modWebhook');
app_check(empty($result['errors']), 'activate modWebhook: '.implode('; ', (array) $result['errors']));
$target = new Target($db);
$target->ref = 'partner';
$target->label = 'Partner ERP';
$target->type = 0;
$target->trigger_codes = 'BILL_VALIDATE,COMPANY_MODIFY,ACTION_CREATE';
$target->url = app_env('APP_WEBHOOK_URL');
$target->status = 1;
app_check($target->create($user, 1) > 0, 'create the webhook target', $target);

print json_encode(array('customers' => $customers))."\n";
