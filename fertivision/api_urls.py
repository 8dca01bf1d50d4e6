"""The partner API, version 1."""

from rest_framework.routers import DefaultRouter

from apps.analyses.api.views import AnalysisViewSet
from apps.cycles.api.views import CycleViewSet, EmbryoViewSet, OocyteViewSet, VisitViewSet
from apps.patients.api.views import PatientViewSet
from apps.reports.api.views import ReportViewSet

router = DefaultRouter(trailing_slash=False)
router.include_root_view = False
router.register("patients", PatientViewSet, basename="patient")
router.register("cycles", CycleViewSet, basename="cycle")
router.register("visits", VisitViewSet, basename="visit")
router.register("oocytes", OocyteViewSet, basename="oocyte")
router.register("embryos", EmbryoViewSet, basename="embryo")
router.register("analyses", AnalysisViewSet, basename="analysis")
router.register("reports", ReportViewSet, basename="report")

app_name = "api-v1"
urlpatterns = router.urls
