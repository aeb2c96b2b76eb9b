"""Drives a FHIR R4 server with the SMART Python client `fhirclient` and its R4 models.

Usage: python fhirclient_check.py BASE_URL

Creates a Patient, an ImagingStudy, a DiagnosticReport and a DocumentReference; reads each
back, updates it, searches for it by `_id` (the study also by its DICOM identifier) and deletes
it, checking what the server answers at every step. Only the library's own model classes and server methods talk to the server, so a
pass means this widely used client works against it unchanged. Prints one line per step and
exits non-zero at the first failure, with the HTTP exchange that failed.
"""

import base64
import sys
import traceback

import requests
from fhirclient import client
from fhirclient.models import (
    attachment,
    codeableconcept,
    coding,
    diagnosticreport,
    documentreference,
    fhirreference,
    humanname,
    identifier,
    imagingstudy,
    patient,
)

DICOM_UID_SYSTEM = "urn:dicom:uid"
STUDY_UID = "urn:oid:1.2.826.0.1.3680043.8.498.10000000000000000000000000000000001"
OTHER_STUDY_UID = "urn:oid:1.2.826.0.1.3680043.8.498.10000000000000000000000000000000009"
SERIES_UID = "1.2.826.0.1.3680043.8.498.10000000000000000000000000000000002"
INSTANCE_UID = "1.2.826.0.1.3680043.8.498.10000000000000000000000000000000003"
DOCUMENT_TEXT = "Mammography screening: no evidence of malignancy.\n"


class CheckFailed(Exception):
    """A server answer that differs from what the client expected."""


def expect(condition, message):
    if not condition:
        raise CheckFailed(message)


def step(name, action, *args):
    """Runs `action(*args)` as one step, prints its outcome, and stops the script on failure."""
    try:
        detail = action(*args)
    except Exception as error:  # noqa: BLE001 - every failure is reported the same way
        print(f"FAIL {name}: {describe(error)}", flush=True)
        sys.exit(1)
    print(f"ok   {name}" + (f" ({detail})" if detail else ""), flush=True)


def describe(error):
    """The failure, and the HTTP exchange behind it when there is one."""
    response = getattr(error, "response", None)
    if not isinstance(response, requests.Response):
        return "".join(traceback.format_exception_only(error)).strip()
    request = response.request
    body = request.body.decode() if isinstance(request.body, bytes) else request.body
    return (
        f"{type(error).__name__}\n"
        f"  sent: {request.method} {request.url}\n"
        f"  request headers: {dict(request.headers)}\n"
        f"  request body: {body}\n"
        f"  got: {response.status_code} {response.reason}\n"
        f"  response headers: {dict(response.headers)}\n"
        f"  response body: {response.text[:2000]}"
    )


def code(system, value, display=None):
    concept = codeableconcept.CodeableConcept()
    concept.coding = [coding.Coding({"system": system, "code": value})]
    if display:
        concept.coding[0].display = display
    return concept


def reference(resource):
    return fhirreference.FHIRReference({"reference": f"{resource.resource_type}/{resource.id}"})


# MARK: the resources, and the change each update makes


def new_patient():
    name = humanname.HumanName()
    name.family = "Lovelace"
    name.given = ["Ada"]
    resource = patient.Patient()
    resource.name = [name]
    resource.gender = "female"
    resource.active = True
    return resource


def check_patient(resource):
    expect(resource.name[0].family == "Lovelace", f"name.family is {resource.name[0].family!r}")
    expect(resource.gender == "female", f"gender is {resource.gender!r}")


def change_patient(resource):
    resource.active = False
    return lambda read: expect(read.active is False, f"active is {read.active!r}")


def new_imaging_study(subject, study_uid=STUDY_UID):
    study_identifier = identifier.Identifier()
    study_identifier.system = DICOM_UID_SYSTEM
    study_identifier.value = study_uid
    instance = imagingstudy.ImagingStudySeriesInstance()
    instance.uid = INSTANCE_UID
    instance.sopClass = coding.Coding(
        {"system": DICOM_UID_SYSTEM, "code": "urn:oid:1.2.840.10008.5.1.4.1.1.1.2"}
    )
    series = imagingstudy.ImagingStudySeries()
    series.uid = SERIES_UID
    series.modality = coding.Coding(
        {"system": "http://dicom.nema.org/resources/ontology/DCM", "code": "MG"}
    )
    series.instance = [instance]
    resource = imagingstudy.ImagingStudy()
    resource.identifier = [study_identifier]
    resource.status = "available"
    resource.subject = reference(subject)
    resource.series = [series]
    return resource


def check_imaging_study(resource, subject):
    expect(resource.status == "available", f"status is {resource.status!r}")
    expect(resource.subject.reference == f"Patient/{subject.id}", "subject differs")
    expect(resource.identifier[0].system == DICOM_UID_SYSTEM, "identifier.system differs")
    expect(resource.identifier[0].value == STUDY_UID, "identifier.value differs")
    series = resource.series[0]
    expect(series.uid == SERIES_UID, f"series.uid is {series.uid!r}")
    expect(series.modality.code == "MG", f"series.modality is {series.modality.code!r}")
    expect(series.instance[0].uid == INSTANCE_UID, "series.instance.uid differs")


def change_imaging_study(resource):
    resource.description = "Screening mammogram, both breasts"
    return lambda read: expect(
        read.description == resource.description, f"description is {read.description!r}"
    )


def new_diagnostic_report(subject, study):
    resource = diagnosticreport.DiagnosticReport()
    resource.status = "preliminary"
    resource.code = code("http://loinc.org", "24606-6", "MG Breast Screening")
    resource.subject = reference(subject)
    resource.imagingStudy = [reference(study)]
    resource.conclusion = "BI-RADS 1: negative."
    return resource


def check_diagnostic_report(resource, subject, study):
    expect(resource.status == "preliminary", f"status is {resource.status!r}")
    expect(resource.code.coding[0].code == "24606-6", "code differs")
    expect(resource.subject.reference == f"Patient/{subject.id}", "subject differs")
    expect(
        resource.imagingStudy[0].reference == f"ImagingStudy/{study.id}",
        f"imagingStudy is {resource.imagingStudy[0].reference!r}",
    )
    expect(resource.conclusion == "BI-RADS 1: negative.", f"conclusion is {resource.conclusion!r}")


def change_diagnostic_report(resource):
    resource.status = "final"
    return lambda read: expect(read.status == "final", f"status is {read.status!r}")


def new_document_reference(subject):
    content = documentreference.DocumentReferenceContent()
    content.attachment = attachment.Attachment()
    content.attachment.contentType = "text/plain"
    content.attachment.data = base64.b64encode(DOCUMENT_TEXT.encode()).decode()
    resource = documentreference.DocumentReference()
    resource.status = "current"
    resource.subject = reference(subject)
    resource.type = code("http://loinc.org", "18748-4", "Diagnostic imaging study")
    resource.content = [content]
    return resource


def check_document_reference(resource, subject):
    expect(resource.status == "current", f"status is {resource.status!r}")
    expect(resource.subject.reference == f"Patient/{subject.id}", "subject differs")
    expect(resource.type.coding[0].code == "18748-4", "type differs")
    stored = resource.content[0].attachment
    expect(stored.contentType == "text/plain", f"contentType is {stored.contentType!r}")
    text = base64.b64decode(stored.data).decode()
    expect(text == DOCUMENT_TEXT, f"attachment decodes to {text!r}")


def change_document_reference(resource):
    resource.description = "Screening report, plain text"
    return lambda read: expect(
        read.description == resource.description, f"description is {read.description!r}"
    )


# MARK: the interactions, one step each


def create(server, resource):
    """POSTs through the model; the server's answer must carry the new id and version 1."""
    answer = resource.create(server)
    expect(answer is not None, "create answered with an empty body")
    created = type(resource)(answer)
    expect(created.id, "the created resource has no id")
    expect(created.meta and created.meta.versionId == "1", "meta.versionId is not 1")
    resource.id = created.id
    return f"{resource.resource_type}/{resource.id}"


def read(server, resource, check):
    found = type(resource).read(resource.id, server)
    expect(found.id == resource.id, f"read returned id {found.id!r}")
    expect(found.meta.versionId == "1", f"meta.versionId is {found.meta.versionId!r}")
    check(found)


def update(server, resource, change):
    check_change = change(resource)
    answer = resource.update(server)
    expect(answer is not None, "update answered with an empty body")
    updated = type(resource)(answer)
    expect(updated.meta.versionId == "2", f"updated meta.versionId is {updated.meta.versionId!r}")
    found = type(resource).read(resource.id, server)
    expect(found.meta.versionId == "2", f"read after update: versionId {found.meta.versionId!r}")
    check_change(found)
    return "versionId 2"


def search(server, resource, params):
    query = type(resource).where(params)
    found = list(query.perform_resources_iter(server))
    expect(len(found) == 1, f"GET {query.construct()} found {len(found)} matches, not 1")
    expect(found[0].id == resource.id, f"matched {found[0].id!r}")
    expect(isinstance(found[0], type(resource)), f"matched a {type(found[0]).__name__}")
    return "1 match"


def delete(server, resource):
    resource.delete(server)
    try:
        type(resource).read(resource.id, server)
    except requests.HTTPError as error:
        got = error.response.status_code
        expect(got == 410, f"read after delete answered {got}, not 410 Gone")
        return "read answers 410"
    except client.FHIRNotFoundException:
        raise CheckFailed("read after delete answered 404, not 410 Gone") from None
    raise CheckFailed("read after delete succeeded")


def create_others(server):
    """A second resource of each type, so that a search that ignores its parameters fails."""
    other = new_patient()
    create(server, other)
    study = new_imaging_study(other, OTHER_STUDY_UID)
    create(server, study)
    create(server, new_diagnostic_report(other, study))
    create(server, new_document_reference(other))
    return f"Patient/{other.id} and what refers to it"


def capability(server):
    """Reads /metadata into the client's CapabilityStatement model, as a SMART app starts."""
    server.get_capability()
    statement = server.capabilityStatement
    expect(statement.fhirVersion == "4.0.1", f"fhirVersion is {statement.fhirVersion!r}")
    return f"fhirVersion {statement.fhirVersion}"


def main():
    if len(sys.argv) != 2:
        print("usage: fhirclient_check.py BASE_URL", file=sys.stderr)
        return 2
    smart = client.FHIRClient(settings={"app_id": "panorama-check", "api_base": sys.argv[1]})
    server = smart.server
    step("read the CapabilityStatement", capability, server)

    subject = new_patient()
    step("create Patient", create, server, subject)
    study = new_imaging_study(subject)
    step("create ImagingStudy", create, server, study)
    report = new_diagnostic_report(subject, study)
    step("create DiagnosticReport", create, server, report)
    document = new_document_reference(subject)
    step("create DocumentReference", create, server, document)
    step("create one more of each, for searches to tell apart", create_others, server)

    cases = {
        "Patient": (subject, check_patient, change_patient),
        "ImagingStudy": (study, lambda r: check_imaging_study(r, subject), change_imaging_study),
        "DiagnosticReport": (
            report,
            lambda r: check_diagnostic_report(r, subject, study),
            change_diagnostic_report,
        ),
        "DocumentReference": (
            document,
            lambda r: check_document_reference(r, subject),
            change_document_reference,
        ),
    }
    for name, (resource, check, _) in cases.items():
        step(f"read {name}", read, server, resource, check)
    for name, (resource, _, change) in cases.items():
        step(f"update {name}", update, server, resource, change)
    for name, (resource, _, _) in cases.items():
        step(f"search {name} by _id", search, server, resource, {"_id": resource.id})
    by_identifier = {"identifier": f"{DICOM_UID_SYSTEM}|{STUDY_UID}"}
    step("search ImagingStudy by identifier", search, server, study, by_identifier)
    # Dependents first, so that no deletion leaves a dangling reference behind.
    for name, (resource, _, _) in reversed(cases.items()):
        step(f"delete {name}", delete, server, resource)
    print("all steps passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
