/*
 * Error messages of the panel's forms: readable field names, and hints for the fields whose
 * rule is not obvious from its name.
 */

import vine, { SimpleMessagesProvider } from '@vinejs/vine'

vine.messagesProvider = new SimpleMessagesProvider(
  {
    'required': 'Enter the {{ field }}.',
    'localPath.regex': 'Enter an absolute folder path such as /backups/coffer, without "..".',
    'sftpPath.regex': 'Enter an absolute folder path on the server such as /upload/coffer.',
    's3Bucket.regex': 'Enter a bucket name of 3 to 63 lowercase letters, digits, dots and hyphens.',
    'password.minLength': 'Choose a password of at least {{ min }} characters.',
    'password.confirmed': 'The two passwords do not match.',
    'email.email': 'Enter a valid email address.',
    'url': 'Enter a full URL starting with http:// or https://.',
    'newVolume.regex':
      'Enter a volume name of letters, digits, "_", "." and "-" that starts with a letter or digit.',
  },
  {
    fullName: 'full name',
    coolifyUrl: 'Coolify URL',
    coolifyToken: 'Coolify API token',
    localPath: 'folder',
    sftpHost: 'SFTP host',
    sftpUsername: 'SFTP user',
    sftpPath: 'folder on the server',
    s3Bucket: 'bucket',
    s3Endpoint: 'endpoint',
    engineId: 'engine',
    destinationId: 'destination',
    passwordConfirmation: 'password confirmation',
    currentPassword: 'current password',
    newVolume: 'new volume name',
  }
)
