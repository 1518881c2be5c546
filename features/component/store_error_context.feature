@component:storage
Feature: Store refusals carry their exact error class and the field or file at fault
  A refusal is told apart by its class (a malformed id is a ValidationError, one that looks
  like an attack a SecurityError) and carries the key and value, or the file and line, it is
  about, so a caller can act on it without parsing the message.

  Scenario: A malformed id is exactly a ValidationError, an id that looks hostile a SecurityError
    When I try to call "user.create" with:
      """
      user_id: "a b"
      """
    Then it fails with ValidationError mentioning "invalid user_id 'a b'"
    And the result at "error" equals ValidationError
    And the result at "key" equals user_id
    And the result at "value" equals "a b"
    When I try to call "user.create" with:
      """
      user_id: "..x"
      """
    Then the result at "error" equals SecurityError
    And the result at "key" equals user_id
    And the result at "value" equals "..x"

  Scenario: A sealed document whose header is cut short is refused naming its path
    Given the store is configured with:
      """
      storage:
        encryption:
          enabled: true
          active_key_id: k1
          keys: {k1: "base64:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="}
      """
    And user "alice" exists
    And "alice" has a chat session "vault"
    When I call "documents.upload" with:
      """
      user_id: alice
      session_id: ${vault}
      filename: a.txt
      text: alpha
      """
    And I save "filename" as "doc"
    And I call "files.write" with:
      """
      path: users/alice/${vault}/documents/${doc}
      text: "FFENC1\0k1"
      """
    And I try to call "documents.read" with:
      """
      user_id: alice
      session_id: ${vault}
      filename: ${doc}
      """
    Then it fails with SecurityError mentioning "encrypted blob header is malformed"
    And the result at "key" equals path
    And the result at "value" matches ^users/alice/[^/]+/documents/[0-9a-f]{8}_a\.txt$

  Scenario: An append refused over an older copy of a sealed log names the file and the line
    Given the store is configured with:
      """
      storage:
        encryption:
          enabled: true
          active_key_id: k1
          keys: {k1: "base64:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="}
      """
    And the "jsonl" invariant is off because an older copy of the log is put back on purpose
    And the "counters" invariant is off because the older copy holds fewer lines than the counter
    And user "alice" exists
    When I call "session.create" with:
      """
      user_id: alice
      session_id: s
      """
    And I call "message.add" with:
      """
      user_id: alice
      session_id: s
      role: user
      content: one
      """
    And I call "message.add" with:
      """
      user_id: alice
      session_id: s
      role: user
      content: two
      """
    And I call "files.copy" with:
      """
      source: users/alice/s/messages.jsonl
      path: users/alice/s/messages.jsonl.rejected-old
      """
    And I call "message.add" with:
      """
      user_id: alice
      session_id: s
      role: user
      content: three
      """
    And I call "files.copy" with:
      """
      source: users/alice/s/messages.jsonl.rejected-old
      path: users/alice/s/messages.jsonl
      """
    And I try to call "message.add" with:
      """
      user_id: alice
      session_id: s
      role: user
      content: four
      """
    Then it fails with StorageCorrupted mentioning "refusing to append"
    And the result at "path" equals users/alice/s/messages.jsonl
    And the result at "line" equals 3
