"""Account data: live collection through boto3, snapshot files, and the account view the diagnosis reads."""
